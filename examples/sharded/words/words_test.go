package words

import (
	"reflect"
	"testing"
)

func TestCountIgnoresCase(t *testing.T) {
	if got := Count("Go go GO"); !reflect.DeepEqual(got, map[string]int{"go": 3}) {
		t.Errorf("Count = %v", got)
	}
}

func TestCountEmpty(t *testing.T) {
	if got := Count(" \t\n"); len(got) != 0 {
		t.Errorf("Count of blanks = %v, want none", got)
	}
}
