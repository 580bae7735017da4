package ledger

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// Sealed key layout: version byte, 12-byte random nonce, AES-256-GCM
// ciphertext and tag. The version byte lets the format change without
// guessing; it is also authenticated, with a label that keeps a sealed
// signing key from being accepted where another kind of secret is expected.
const (
	sealVersion = 1
	sealLabel   = "auditkeep ledger signing key"
	masterSize  = 32
)

// SealKey encrypts a signer key for storage with a 32-byte master key.
func SealKey(master []byte, skey string) ([]byte, error) {
	if _, err := note.NewSigner(skey); err != nil {
		return nil, fmt.Errorf("%w: malformed signer key", ErrKey)
	}
	aead, err := sealAEAD(master)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(skey)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("ledger: seal key: %w", err)
	}
	return aead.Seal(out, out[1:], []byte(skey), sealAD()), nil
}

// OpenKey decrypts a key sealed by SealKey. A wrong master key or altered
// data is an error wrapping ErrKey.
func OpenKey(master, sealed []byte) (string, error) {
	aead, err := sealAEAD(master)
	if err != nil {
		return "", err
	}
	if len(sealed) < 1+aead.NonceSize()+aead.Overhead() || sealed[0] != sealVersion {
		return "", fmt.Errorf("%w: sealed key is malformed or of an unknown version", ErrKey)
	}
	nonce, ct := sealed[1:1+aead.NonceSize()], sealed[1+aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ct, sealAD())
	if err != nil {
		return "", fmt.Errorf("%w: cannot open sealed key: wrong master key or altered data", ErrKey)
	}
	skey := string(plain)
	if _, err := note.NewSigner(skey); err != nil {
		return "", fmt.Errorf("%w: sealed data is not a signer key", ErrKey)
	}
	return skey, nil
}

func sealAEAD(master []byte) (cipher.AEAD, error) {
	if len(master) != masterSize {
		return nil, fmt.Errorf("%w: master key is %d bytes, want %d", ErrKey, len(master), masterSize)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return cipher.NewGCM(block)
}

func sealAD() []byte { return append([]byte{sealVersion}, sealLabel...) }
