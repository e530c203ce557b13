package testjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/testjson"
)

// A real stream: go test -json of a package with a passing, a failing and a skipped test,
// with the compiler's plain text interleaved as `2>&1` leaves it.
const stream = `# example.com/m/broken
broken/x.go:3:1: syntax error
{"Time":"2026-12-04T10:00:00.1Z","Action":"start","Package":"example.com/m/a"}
{"Time":"2026-12-04T10:00:00.2Z","Action":"run","Package":"example.com/m/a","Test":"TestOK"}
{"Time":"2026-12-04T10:00:00.3Z","Action":"output","Package":"example.com/m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Time":"2026-12-04T10:00:00.4Z","Action":"pass","Package":"example.com/m/a","Test":"TestOK","Elapsed":1.25}
{"Time":"2026-12-04T10:00:00.5Z","Action":"fail","Package":"example.com/m/a","Test":"TestBad/sub","Elapsed":0.5}
{"Time":"2026-12-04T10:00:00.6Z","Action":"fail","Package":"example.com/m/a","Elapsed":2}
`

func TestReadSkipsNonEventsAndKeepsOrder(t *testing.T) {
	var got []testjson.Event
	st, err := testjson.Read(strings.NewReader(stream), func(e testjson.Event) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 6 || st.Skipped != 2 {
		t.Errorf("stats %+v, want 6 events and 2 skipped lines", st)
	}
	if len(got) != 6 || got[3].Test != "TestOK" || got[3].Elapsed != 1.25 || !got[3].Done() || !got[3].TopLevel() {
		t.Fatalf("events %+v", got)
	}
	if got[4].TopLevel() {
		t.Error("a subtest counted as top-level")
	}
	if got[5].Test != "" || got[5].Action != testjson.Fail || got[5].Elapsed != 2 {
		t.Errorf("package event %+v", got[5])
	}
}

func TestReadSkipsOverlongLine(t *testing.T) {
	long := `{"Action":"output","Output":"` + strings.Repeat("x", testjson.MaxLine+10) + `"}`
	in := long + "\n" + `{"Action":"pass","Package":"p","Test":"TestA","Elapsed":1}` + "\n"
	var got []testjson.Event
	st, err := testjson.Read(strings.NewReader(in), func(e testjson.Event) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 1 || len(got) != 1 || got[0].Test != "TestA" {
		t.Errorf("stats %+v events %+v: the long line must be skipped and the next one read", st, got)
	}
}

func TestReadLastLineWithoutNewline(t *testing.T) {
	var n int
	_, err := testjson.Read(strings.NewReader(`{"Action":"pass","Package":"p"}`), func(testjson.Event) error { n++; return nil })
	if err != nil || n != 1 {
		t.Errorf("n=%d err=%v, want the unterminated last event read", n, err)
	}
}

func TestReadStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var n int
	_, err := testjson.Read(strings.NewReader(stream), func(testjson.Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("n=%d err=%v, want the first event then the callback's error", n, err)
	}
}

// FuzzRead: whatever the bytes, Read does not panic, every event it returns has an Action, and
// events written back as JSON lines read back the same.
func FuzzRead(f *testing.F) {
	f.Add([]byte(stream))
	f.Add([]byte("{\"Action\":\"pass\"}\n{\n}\n\n{\"Action\":1}"))
	f.Add([]byte(`{"Action":"output","Output":"\u0000\n"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 { // bounded: the reader's cost is linear, big inputs find nothing new
			return
		}
		var got []testjson.Event
		if _, err := testjson.Read(bytes.NewReader(data), func(e testjson.Event) error {
			got = append(got, e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		for _, e := range got {
			if e.Action == "" {
				t.Fatalf("event without an action: %+v", e)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			again.Write(append(b, '\n'))
		}
		var back []testjson.Event
		if _, err := testjson.Read(&again, func(e testjson.Event) error { back = append(back, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(back) != len(got) {
			t.Fatalf("%d events, %d after a round trip", len(got), len(back))
		}
		for i := range got {
			if !got[i].Time.Equal(back[i].Time) {
				t.Fatalf("time %v became %v", got[i].Time, back[i].Time)
			}
			got[i].Time, back[i].Time = back[i].Time, got[i].Time
			if !reflect.DeepEqual(got[i], back[i]) {
				t.Fatalf("%+v became %+v", got[i], back[i])
			}
		}
	})
}
