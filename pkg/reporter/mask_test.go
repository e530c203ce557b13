package reporter

import "testing"

func TestMaskerHidesEveryOccurrenceLongestFirst(t *testing.T) {
	m := NewMasker("hunter2-token", "hunter2", "ab", "-----BEGIN KEY-----\nMIIEsecretline\n-----END KEY-----\n")
	cases := map[string]string{
		"login with hunter2-token then hunter2 again": "login with *** then *** again",
		"flag -v ab cd":            "flag -v ab cd", // too short to mask
		"key line: MIIEsecretline": "key line: ***",
		"nothing secret here":      "nothing secret here",
		"hunter2hunter2":           "******",
	}
	for in, want := range cases {
		if got := m.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
	var none *Masker
	if got := none.Mask("hunter2"); got != "hunter2" {
		t.Errorf("nil masker changed text: %q", got)
	}
}
