package shard_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/shard"
)

func TestBoundDropsOldestPackagesThenFastestTests(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	h := shard.NewTimings()
	for i, path := range []string{"m/old", "m/mid", "m/new"} {
		ts := map[string]float64{}
		for j := range 4 {
			ts[fmt.Sprintf("Test%d", j)] = float64(j)
		}
		h.Packages[path] = timed(day(i+1), 0.1, ts)
	}
	if n := h.Bound(12); n != 0 || len(h.Packages) != 3 {
		t.Fatalf("bounding at the size dropped %d tests", n)
	}
	if n := h.Bound(8); n != 4 || h.Packages["m/old"] != nil || h.Packages["m/mid"] == nil {
		t.Errorf("dropped %d, packages %v: want m/old (4 tests) gone", n, h.Packages)
	}
	if n := h.Bound(2); n != 6 || len(h.Packages) != 1 {
		t.Fatalf("dropped %d, left %v", n, h.Packages)
	}
	left := h.Packages["m/new"].Tests
	if len(left) != 2 || left["Test3"] != 3 || left["Test2"] != 2 {
		t.Errorf("left %v, want the newest package's two slowest tests", left)
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	h := shard.NewTimings()
	h.Packages["m/p"] = timed(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 0.12345, map[string]float64{"TestA": 1.0 / 3})
	data, err := h.MarshalHistory()
	if err != nil {
		t.Fatal(err)
	}
	back, err := shard.ReadTimings(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := back.Packages["m/p"]
	if p == nil || p.Overhead != 0.123 || p.Tests["TestA"] != 0.333 || !p.At.Equal(h.Packages["m/p"].At) {
		t.Errorf("read back %+v from\n%s", p, data)
	}
}
