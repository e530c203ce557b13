package stack

import "testing"

func TestLastInFirstOut(t *testing.T) {
	var s Stack[int]
	s.Push(1)
	s.Push(2)
	if v, ok := s.Pop(); !ok || v != 2 {
		t.Errorf("Pop = %d, %v; want 2, true", v, ok)
	}
	if v, ok := s.Pop(); !ok || v != 1 {
		t.Errorf("Pop = %d, %v; want 1, true", v, ok)
	}
}

func TestPopEmpty(t *testing.T) {
	var s Stack[string]
	if _, ok := s.Pop(); ok {
		t.Error("Pop of an empty stack said ok")
	}
}
