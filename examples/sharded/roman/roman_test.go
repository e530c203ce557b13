package roman

import "testing"

func check(t *testing.T, n int, want string) {
	t.Helper()
	if got := Roman(n); got != want {
		t.Errorf("Roman(%d) = %q, want %q", n, got, want)
	}
}

func TestRoman0001(t *testing.T) { check(t, 1, "I") }

func TestRoman0002(t *testing.T) { check(t, 2, "II") }

func TestRoman0003(t *testing.T) { check(t, 3, "III") }

func TestRoman0004(t *testing.T) { check(t, 4, "IV") }

func TestRoman0005(t *testing.T) { check(t, 5, "V") }

func TestRoman0006(t *testing.T) { check(t, 6, "VI") }

func TestRoman0009(t *testing.T) { check(t, 9, "IX") }

func TestRoman0010(t *testing.T) { check(t, 10, "X") }

func TestRoman0014(t *testing.T) { check(t, 14, "XIV") }

func TestRoman0019(t *testing.T) { check(t, 19, "XIX") }

func TestRoman0040(t *testing.T) { check(t, 40, "XL") }

func TestRoman0042(t *testing.T) { check(t, 42, "XLII") }

func TestRoman0049(t *testing.T) { check(t, 49, "XLIX") }

func TestRoman0090(t *testing.T) { check(t, 90, "XC") }

func TestRoman0099(t *testing.T) { check(t, 99, "XCIX") }

func TestRoman0400(t *testing.T) { check(t, 400, "CD") }

func TestRoman0444(t *testing.T) { check(t, 444, "CDXLIV") }

func TestRoman0500(t *testing.T) { check(t, 500, "D") }

func TestRoman0900(t *testing.T) { check(t, 900, "CM") }

func TestRoman0944(t *testing.T) { check(t, 944, "CMXLIV") }

func TestRoman1000(t *testing.T) { check(t, 1000, "M") }

func TestRoman1987(t *testing.T) { check(t, 1987, "MCMLXXXVII") }

func TestRoman1994(t *testing.T) { check(t, 1994, "MCMXCIV") }

func TestRoman2024(t *testing.T) { check(t, 2024, "MMXXIV") }

func TestRoman3999(t *testing.T) { check(t, 3999, "MMMCMXCIX") }

func TestOutOfRange(t *testing.T) {
	for _, n := range []int{-1, 0, 4000} {
		check(t, n, "")
	}
}
