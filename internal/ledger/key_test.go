package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	skey, vkey, err := GenerateKey("auditkeep")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(skey, "PRIVATE+KEY+auditkeep+") || !strings.HasPrefix(vkey, "auditkeep+") {
		t.Fatalf("keys %q, %q", skey, vkey)
	}
	got, err := VerifierKey(skey)
	if err != nil || got != vkey {
		t.Fatalf("VerifierKey = %q, %v; want %q", got, err, vkey)
	}
	id, err := KeyID(vkey)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	if want := "auditkeep+" + strings.Split(vkey, "+")[1]; id != want || !strings.HasSuffix(id, "+"+hex8(signer.KeyHash())) {
		t.Errorf("KeyID = %q, want %q", id, want)
	}
	for _, name := range []string{"", "a b", "a+b", "tab\tname"} {
		if _, _, err := GenerateKey(name); !errors.Is(err, ErrKey) {
			t.Errorf("GenerateKey(%q) = %v, want ErrKey", name, err)
		}
	}
	for _, bad := range []string{"", vkey, "PRIVATE+KEY+x+00000000+AQ==", skey + "x"} {
		if _, err := VerifierKey(bad); !errors.Is(err, ErrKey) {
			t.Errorf("VerifierKey(%q) = %v, want ErrKey", bad, err)
		}
	}
	if _, err := KeyID(skey); !errors.Is(err, ErrKey) {
		t.Errorf("KeyID of a private key = %v, want ErrKey", err)
	}
}

func hex8(h uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return string(b[:])
}

// TestKeyringRotation signs with a key, rotates, and checks that old and
// new checkpoints verify with the new ring while only the new key signs.
func TestKeyringRotation(t *testing.T) {
	t.Parallel()
	oldSkey, oldVkey, _ := GenerateKey("auditkeep")
	newSkey, newVkey, _ := GenerateKey("auditkeep")
	oldRing, err := NewKeyring(oldSkey)
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: Origin("", testTenant), Size: 3, Root: emptyRoot(), Time: time.Unix(1700000000, 0)}
	oldMsg, err := oldRing.Sign(cp)
	if err != nil {
		t.Fatal(err)
	}

	ring, err := NewKeyring(newSkey, oldVkey, newVkey, oldVkey)
	if err != nil {
		t.Fatal(err)
	}
	if got := ring.VerifierKeys(); len(got) != 2 || got[0] != newVkey || got[1] != oldVkey {
		t.Fatalf("VerifierKeys = %q", got)
	}
	newMsg, err := ring.Sign(cp)
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range map[string][]byte{"old": oldMsg, "new": newMsg} {
		if _, err := ring.Open(msg); err != nil {
			t.Errorf("%s checkpoint with the rotated ring: %v", name, err)
		}
	}
	if _, err := oldRing.Open(newMsg); err == nil {
		t.Error("the old ring verifies the new key's checkpoint")
	}
	if ring.Signer().Name() != "auditkeep" {
		t.Errorf("signer name %q", ring.Signer().Name())
	}
	if _, err := ring.Verifiers().Verifier("auditkeep", ring.Signer().KeyHash()); err != nil {
		t.Error(err)
	}
	if _, err := NewKeyring(newSkey, "garbage"); !errors.Is(err, ErrKey) {
		t.Errorf("NewKeyring with a malformed retired key = %v", err)
	}
	if _, err := NewKeyring(newVkey); !errors.Is(err, ErrKey) {
		t.Errorf("NewKeyring with a public key = %v", err)
	}
	if _, err := Verifiers(); !errors.Is(err, ErrKey) {
		t.Errorf("Verifiers() = %v", err)
	}
}

func TestSealKey(t *testing.T) {
	t.Parallel()
	skey, _, _ := GenerateKey("auditkeep")
	master := bytes.Repeat([]byte{7}, 32)
	sealed, err := SealKey(master, skey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("PRIVATE")) || sealed[0] != sealVersion {
		t.Fatalf("sealed key %q", sealed)
	}
	again, _ := SealKey(master, skey)
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one key are identical: nonce not random")
	}
	got, err := OpenKey(master, sealed)
	if err != nil || got != skey {
		t.Fatalf("OpenKey = %q, %v", got, err)
	}

	wrong := bytes.Repeat([]byte{8}, 32)
	flipped := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	for name, tc := range map[string]struct{ master, sealed []byte }{
		"wrong master":     {wrong, sealed},
		"short master":     {master[:16], sealed},
		"version":          {master, flipped(0)},
		"nonce":            {master, flipped(3)},
		"ciphertext":       {master, flipped(20)},
		"tag":              {master, flipped(len(sealed) - 1)},
		"truncated":        {master, sealed[:20]},
		"empty":            {master, nil},
		"ciphertext moved": {master, append(bytes.Clone(sealed[:13]), sealed[14:]...)},
	} {
		if _, err := OpenKey(tc.master, tc.sealed); !errors.Is(err, ErrKey) {
			t.Errorf("%s: OpenKey = %v, want ErrKey", name, err)
		}
	}
	if _, err := SealKey(master[:31], skey); !errors.Is(err, ErrKey) {
		t.Errorf("SealKey with a short master = %v", err)
	}
	if _, err := SealKey(master, "not a key"); !errors.Is(err, ErrKey) {
		t.Errorf("SealKey of garbage = %v", err)
	}
}
