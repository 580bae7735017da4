package notary_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/app"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/store"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

func TestParseMasterKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xab}, 32)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{hex.EncodeToString(key), true},
		{" " + hex.EncodeToString(key) + "\n", true},
		{base64.StdEncoding.EncodeToString(key), true},
		{hex.EncodeToString(key[:31]), false},
		{base64.StdEncoding.EncodeToString(key[:16]), false},
		{"not a key", false},
		{"", false},
	} {
		got, err := notary.ParseMasterKey(tc.in)
		if tc.ok != (err == nil) || (tc.ok && !bytes.Equal(got, key)) {
			t.Errorf("ParseMasterKey(%q) = %x, %v", tc.in, got, err)
		}
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master-key")
	k1, err := notary.LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, mode %v", err, fi.Mode().Perm())
	}
	k2, err := notary.LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load = %x, %v; want %x", k2, err, k1)
	}
}

// openStore opens a fresh store of engine.
func openStore(t *testing.T, engine string) store.Store {
	t.Helper()
	st, err := app.OpenStore(context.Background(), apitest.DB(t, engine), app.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// appendN commits n events of tenant in groups of up to 100.
func appendN(t *testing.T, st store.Store, tenant uuid.UUID, n int) []event.Event {
	t.Helper()
	var out []event.Event
	for n > 0 {
		k := min(n, 100)
		evs := make([]event.Event, k)
		for i := range evs {
			evs[i] = storetest.NewEvent(t, tenant, "act")
		}
		res, err := st.Append(context.Background(), []store.AppendRequest{{Events: evs}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("append: %v %v", err, res)
		}
		out = append(out, res[0].Events...)
		n -= k
	}
	return out
}

func randomKey(t *testing.T) []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeys: the signing key is sealed in the store with the master key and
// opens again with it only; rotation signs new checkpoints with a new key
// while the old ones still verify.
func TestKeys(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := openStore(t, engine)
		master := randomKey(t)
		n1, err := notary.Open(ctx, st, notary.Config{MasterKey: master})
		if err != nil {
			t.Fatal(err)
		}
		vkey1 := n1.Keyring().VerifierKeys()[0]
		keys, err := st.LedgerKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].VKey != vkey1 || keys[0].Sealed == nil || bytes.Contains(keys[0].Sealed, []byte("PRIVATE")) {
			t.Fatalf("stored keys = %+v, %v", keys, err)
		}
		again, err := notary.Open(ctx, st, notary.Config{MasterKey: master})
		if err != nil || again.Keyring().VerifierKeys()[0] != vkey1 {
			t.Fatalf("reopened with the master key: %v", err)
		}
		if _, err := notary.Open(ctx, st, notary.Config{MasterKey: randomKey(t)}); err == nil || !errors.Is(err, ledger.ErrKey) || !strings.Contains(err.Error(), "master key") {
			t.Fatalf("open with a wrong master key: %v", err)
		}
		if _, err := notary.RotateKey(ctx, st, randomKey(t), ledger.DefaultLogName); err == nil {
			t.Fatal("rotation with a wrong master key succeeded")
		}

		tn := storetest.NewTenant(t, st, "keys", uuid.Nil)
		appendN(t, st, tn.ID, 10)
		cp1, err := n1.SignLatest(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		made, err := notary.RotateKey(ctx, st, master, ledger.DefaultLogName)
		if err != nil || made.VKey == vkey1 || !made.RetiredAt.IsZero() {
			t.Fatalf("rotate: %+v, %v", made, err)
		}
		n2, err := notary.Open(ctx, st, notary.Config{MasterKey: master})
		if err != nil {
			t.Fatal(err)
		}
		if got := n2.Keyring().VerifierKeys(); got[0] != made.VKey || len(got) != 2 || got[1] != vkey1 {
			t.Fatalf("keyring after rotation: %v", got)
		}
		appendN(t, st, tn.ID, 5)
		cp2, err := n2.SignLatest(ctx, tn.ID)
		if err != nil || cp2.Size != 15 {
			t.Fatalf("sign after rotation: %+v, %v", cp2, err)
		}
		oldOnly, newOnly := verifiersOf(t, vkey1), verifiersOf(t, made.VKey)
		if _, err := ledger.Open(cp1.Note, oldOnly); err != nil {
			t.Errorf("old checkpoint with the retired key: %v", err)
		}
		if _, err := ledger.Open(cp1.Note, newOnly); err == nil {
			t.Error("old checkpoint verifies with the new key")
		}
		if _, err := ledger.Open(cp2.Note, newOnly); err != nil {
			t.Errorf("new checkpoint with the new key: %v", err)
		}
		verifiers, vkeys, err := notary.StoreVerifiers(ctx, st)
		if err != nil || len(vkeys) != 2 {
			t.Fatalf("store verifiers: %v %v", vkeys, err)
		}
		if rep, err := notary.VerifyTenant(ctx, st, tn.ID, verifiers); err != nil || !rep.OK() || rep.Checkpoints != 2 {
			t.Fatalf("verify after rotation: %v %s", err, rep)
		}
		if _, err := notary.VerifyTenant(ctx, st, tn.ID, newOnly); !errors.Is(err, ledger.ErrCheckpoint) {
			t.Fatalf("verify without the retired key: %v", err)
		}
	})
}

func verifiersOf(t *testing.T, vkeys ...string) note.Verifiers {
	t.Helper()
	v, err := ledger.Verifiers(vkeys...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
