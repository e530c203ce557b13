package event

import (
	"bytes"
	"encoding/json"
	"testing"
)

// raw is a payload decoded with encoding/json alone, so tests can check Parse against values
// read from the file independently of go-github.
type raw map[string]any

func decodeRaw(t *testing.T, payload []byte) raw {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m raw
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode raw payload: %v", err)
	}
	return m
}

// at walks a dotted path of object keys; it returns nil when any step is missing.
func (m raw) at(path ...string) any {
	var cur any = map[string]any(m)
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

func (m raw) str(path ...string) string {
	s, _ := m.at(path...).(string)
	return s
}

func (m raw) num(path ...string) int64 {
	n, ok := m.at(path...).(json.Number)
	if !ok {
		return 0
	}
	i, _ := n.Int64()
	return i
}

func (m raw) boolean(path ...string) bool {
	b, _ := m.at(path...).(bool)
	return b
}

func (m raw) list(path ...string) []any {
	l, _ := m.at(path...).([]any)
	return l
}

// sub is the object at path, as a raw (nil when absent or not an object).
func (m raw) sub(path ...string) raw {
	obj, _ := m.at(path...).(map[string]any)
	return raw(obj)
}

// refOf is the expected full ref for a branch name, "" for none.
func refOf(branch string) string {
	if branch == "" {
		return ""
	}
	return "refs/heads/" + branch
}
