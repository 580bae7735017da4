package notary

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/safefile"
	"github.com/auditkeep/auditkeep/internal/store"
)

// MasterKeySize is the length of the key that seals signing keys.
const MasterKeySize = 32

// ParseMasterKey reads a master key written as 64 hex digits or as
// standard base64.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == MasterKeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == MasterKeySize {
		return b, nil
	}
	return nil, fmt.Errorf("master key: want %d bytes as hex or base64", MasterKeySize)
}

// LoadOrCreateMasterKey reads the master key file at path, creating it
// (mode 0600, 32 random bytes in hex) when it does not exist. It never
// replaces a file that is there and never follows a symbolic link: a key
// written through one could land where others read it.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path)
	if err == nil {
		return ParseMasterKey(string(b))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("master key: %w", err)
	}
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	err = safefile.WriteNew(path, []byte(hex.EncodeToString(key)+"\n"))
	if errors.Is(err, fs.ErrExist) {
		// Another process made it first, or something appeared there
		// (a symbolic link is refused by ReadFile): use theirs, or fail.
		if b, err = safefile.ReadFile(path); err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		return ParseMasterKey(string(b))
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return key, nil
}

// loadKeyring builds the keyring from the store's keys. With signerKey
// ("PRIVATE+KEY+…", from a file), that key signs and its public half is
// recorded in the store; otherwise the active sealed key signs, and one is
// generated on first start.
func loadKeyring(ctx context.Context, st store.Store, master []byte, logName, signerKey string) (*ledger.Keyring, error) {
	keys, err := st.LedgerKeys(ctx)
	if err != nil {
		return nil, err
	}
	var active string
	var retired []string
	if signerKey != "" {
		vkey, err := ledger.VerifierKey(signerKey)
		if err != nil {
			return nil, err
		}
		id, err := ledger.KeyID(vkey)
		if err != nil {
			return nil, err
		}
		known := false
		for _, k := range keys {
			if k.ID == id {
				known = true
			} else {
				retired = append(retired, k.VKey)
			}
		}
		if !known {
			if err := st.PutLedgerKey(ctx, store.LedgerKey{ID: id, VKey: vkey, CreatedAt: time.Now()}); err != nil {
				return nil, err
			}
		}
		return ledger.NewKeyring(signerKey, retired...)
	}
	for _, k := range keys {
		if k.RetiredAt.IsZero() && k.Sealed != nil && active == "" {
			skey, err := ledger.OpenKey(master, k.Sealed)
			if err != nil {
				return nil, fmt.Errorf("signing key %s: %w (is this the database's master key?)", k.ID, err)
			}
			active = skey
			continue
		}
		retired = append(retired, k.VKey)
	}
	if active == "" {
		if active, err = newSealedKey(ctx, st, master, logName); err != nil {
			return nil, err
		}
	}
	return ledger.NewKeyring(active, retired...)
}

// newSealedKey generates a signing key and stores it sealed.
func newSealedKey(ctx context.Context, st store.Store, master []byte, logName string) (string, error) {
	skey, vkey, err := ledger.GenerateKey(logName)
	if err != nil {
		return "", err
	}
	sealed, err := ledger.SealKey(master, skey)
	if err != nil {
		return "", err
	}
	id, err := ledger.KeyID(vkey)
	if err != nil {
		return "", err
	}
	if err := st.PutLedgerKey(ctx, store.LedgerKey{ID: id, VKey: vkey, Sealed: sealed, CreatedAt: time.Now()}); err != nil {
		return "", err
	}
	return skey, nil
}

// RotateKey retires the active sealed key and makes a new one. Old
// checkpoints stay verifiable: retired public keys are still served.
// Running services pick the new key up when they restart.
func RotateKey(ctx context.Context, st store.Store, master []byte, logName string) (store.LedgerKey, error) {
	keys, err := st.LedgerKeys(ctx)
	if err != nil {
		return store.LedgerKey{}, err
	}
	// Check the master key opens the active key before retiring it.
	for _, k := range keys {
		if k.RetiredAt.IsZero() && k.Sealed != nil {
			if _, err := ledger.OpenKey(master, k.Sealed); err != nil {
				return store.LedgerKey{}, fmt.Errorf("signing key %s: %w (is this the database's master key?)", k.ID, err)
			}
		}
	}
	if _, err := newSealedKey(ctx, st, master, logName); err != nil {
		return store.LedgerKey{}, err
	}
	now := time.Now()
	fresh, err := st.LedgerKeys(ctx)
	if err != nil {
		return store.LedgerKey{}, err
	}
	var made store.LedgerKey
	for _, k := range fresh {
		if k.RetiredAt.IsZero() && made.ID == "" && !contains(keys, k.ID) {
			made = k
		}
	}
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			if err := st.RetireLedgerKey(ctx, k.ID, now); err != nil {
				return store.LedgerKey{}, err
			}
		}
	}
	return made, nil
}

func contains(keys []store.LedgerKey, id string) bool {
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}
