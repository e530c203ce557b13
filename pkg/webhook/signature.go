package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// SignatureHeader carries the HMAC-SHA256 of the body, keyed with the webhook secret.
const SignatureHeader = "X-Hub-Signature-256"

var (
	errNoSignature  = errors.New("missing " + SignatureHeader)
	errBadSignature = errors.New("signature does not match")
)

// verifySignature checks header ("sha256=<hex>") against body under any of secrets, so a secret
// can be rotated by configuring the new one next to the old. Comparison is constant-time.
func verifySignature(header string, body []byte, secrets [][]byte) error {
	if header == "" {
		return errNoSignature
	}
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if hmac.Equal(got, mac.Sum(nil)) {
			return nil
		}
	}
	return errBadSignature
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body under secret; tests and
// tools that replay deliveries use it.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
