package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// GenerateKey returns a new Ed25519 key pair in the note encoding: skey
// "PRIVATE+KEY+<name>+<hash>+<key>" is secret (seal it with SealKey),
// vkey "<name>+<hash>+<key>" is published to whoever verifies checkpoints.
// name is the name signatures carry, normally the log name.
func GenerateKey(name string) (skey, vkey string, err error) {
	if !validName(name) {
		return "", "", fmt.Errorf("%w: invalid key name %q", ErrKey, name)
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("ledger: generate key: %w", err)
	}
	return skey, vkey, nil
}

// VerifierKey returns the public verifier key of a signer key.
func VerifierKey(skey string) (string, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return "", fmt.Errorf("%w: malformed signer key", ErrKey)
	}
	// The encoding is fixed by note: "PRIVATE+KEY+<name>+<hash>+<key>",
	// key being algorithm byte 1 then the Ed25519 seed. The base64 may
	// itself contain '+', so split from the left.
	parts := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", fmt.Errorf("%w: signer key is not Ed25519", ErrKey)
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrKey, err)
	}
	return vkey, nil
}

// KeyID returns what a verifier key is known by in signature lines: its
// name and its 32-bit key hash, printed as "<name>+<hash>" (8 hex digits).
func KeyID(vkey string) (string, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", fmt.Errorf("%w: malformed verifier key", ErrKey)
	}
	return v.Name() + "+" + fmt.Sprintf("%08x", v.KeyHash()), nil
}

// Keyring is the service's signing key and every public key a checkpoint
// may have been signed with. Rotation: generate a new key, start with
// NewKeyring(newSkey, oldVkey, ...); old checkpoints keep verifying with
// the retired keys, new ones are signed with the new key.
type Keyring struct {
	signer    note.Signer
	vkeys     []string // active first
	verifiers note.Verifiers
}

// NewKeyring returns a keyring signing with skey and verifying with its
// public key and the retired verifier keys.
func NewKeyring(skey string, retired ...string) (*Keyring, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed signer key", ErrKey)
	}
	active, err := VerifierKey(skey)
	if err != nil {
		return nil, err
	}
	vkeys := []string{active}
	for _, k := range retired {
		if k != active && !slices.Contains(vkeys, k) {
			vkeys = append(vkeys, k)
		}
	}
	verifiers, err := Verifiers(vkeys...)
	if err != nil {
		return nil, err
	}
	return &Keyring{signer: signer, vkeys: vkeys, verifiers: verifiers}, nil
}

// Signer returns the active signer.
func (k *Keyring) Signer() note.Signer { return k.signer }

// Verifiers returns the verifiers of the active and retired keys.
func (k *Keyring) Verifiers() note.Verifiers { return k.verifiers }

// VerifierKeys returns the public keys, the active one first, for
// publishing with exports and on the API.
func (k *Keyring) VerifierKeys() []string { return append([]string(nil), k.vkeys...) }

// Sign signs c with the active key.
func (k *Keyring) Sign(c Checkpoint) ([]byte, error) { return Sign(c, k.signer) }

// Open verifies msg with any key of the ring and parses it.
func (k *Keyring) Open(msg []byte) (Checkpoint, error) { return Open(msg, k.verifiers) }

// Verifiers returns note verifiers for verifier keys. Two different keys
// with the same name and hash are refused: note could not tell them apart.
func Verifiers(vkeys ...string) (note.Verifiers, error) {
	if len(vkeys) == 0 {
		return nil, fmt.Errorf("%w: no verifier keys", ErrKey)
	}
	seen := make(map[string]string)
	var list []note.Verifier
	for i, vk := range vkeys {
		v, err := note.NewVerifier(vk)
		if err != nil {
			return nil, fmt.Errorf("%w: verifier key %d is malformed", ErrKey, i+1)
		}
		id := v.Name() + "+" + strconv.FormatUint(uint64(v.KeyHash()), 16)
		if prev, ok := seen[id]; ok {
			if prev != vk {
				return nil, fmt.Errorf("%w: two keys named %s", ErrKey, id)
			}
			continue
		}
		seen[id] = vk
		list = append(list, v)
	}
	return note.VerifierList(list...), nil
}
