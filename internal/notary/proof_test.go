package notary_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/auditkeep/auditkeep/internal/apitest"
	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/auditkeep/auditkeep/internal/ledger"
	"github.com/auditkeep/auditkeep/internal/notary"
	"github.com/auditkeep/auditkeep/internal/store/storetest"
)

// TestSignLatest: signing is idempotent until the log grows, and a tenant
// without events has no checkpoint.
func TestSignLatest(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := openStore(t, engine)
		n, err := notary.Open(ctx, st, notary.Config{MasterKey: randomKey(t), LogName: "audit.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		tn := storetest.NewTenant(t, st, "sign", uuid.Nil)
		if _, err := n.SignLatest(ctx, tn.ID); !errors.Is(err, event.ErrNotFound) {
			t.Fatalf("sign an empty log: %v", err)
		}
		appendN(t, st, tn.ID, 3)
		a, err := n.SignLatest(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.SignLatest(ctx, tn.ID)
		if err != nil || !bytes.Equal(a.Note, b.Note) {
			t.Fatalf("second sign = %q, %v; want %q", b.Note, err, a.Note)
		}
		cp := mustCheckpoint(t, n, a.Note)
		if cp.Size != 3 || cp.Origin != "audit.example.com/"+tn.ID.String() {
			t.Fatalf("checkpoint %+v", cp)
		}
		if all, err := st.Checkpoints(ctx, tn.ID, 0, false); err != nil || len(all) != 1 {
			t.Fatalf("checkpoints after two signs: %d, %v", len(all), err)
		}
		appendN(t, st, tn.ID, 2)
		c, err := n.Checkpoint(ctx, tn.ID, 0)
		if err != nil || c.Size != 5 {
			t.Fatalf("latest after growth: %+v, %v", c, err)
		}
		if got, err := n.Checkpoint(ctx, tn.ID, 3); err != nil || !bytes.Equal(got.Note, a.Note) {
			t.Fatalf("checkpoint of size 3: %v", err)
		}
		if _, err := n.Checkpoint(ctx, tn.ID, 4); !errors.Is(err, event.ErrNotFound) {
			t.Fatalf("checkpoint of an unsigned size: %v", err)
		}
	})
}

func mustCheckpoint(t *testing.T, n *notary.Notary, note []byte) ledger.Checkpoint {
	t.Helper()
	cp, err := n.Keyring().Open(note)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// TestProofs: inclusion proofs of events on both sides of tile boundaries
// and consistency proofs between every pair of checkpoints verify against
// the signed checkpoints; an export verifies offline; bad requests fail
// with the errors the API maps.
func TestProofs(t *testing.T) {
	apitest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := openStore(t, engine)
		n, err := notary.Open(ctx, st, notary.Config{MasterKey: randomKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		tn := storetest.NewTenant(t, st, "proofs", uuid.Nil)
		var evs []event.Event
		var cps []ledger.Checkpoint
		for _, k := range []int{1, 255, 1, 300, 43} {
			evs = append(evs, appendN(t, st, tn.ID, k)...)
			sc, err := n.SignLatest(ctx, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, mustCheckpoint(t, n, sc.Note))
		}
		latest := cps[len(cps)-1]
		for _, seq := range []int64{0, 1, 254, 255, 256, 257, 511, 512, 556, 599} {
			for _, size := range []int64{0, 557, 600} {
				if size > 0 && size <= seq {
					continue
				}
				p, err := n.ProveInclusion(ctx, tn.ID, seq, size)
				if err != nil {
					t.Fatalf("prove %d in %d: %v", seq, size, err)
				}
				cp := mustCheckpoint(t, n, p.Checkpoint.Note)
				if p.Leaf != ledger.LeafHash(&evs[seq]) {
					t.Fatalf("leaf %d is not the event's hash", seq)
				}
				if err := ledger.CheckInclusion(cp, p.Leaf, seq, p.Proof); err != nil {
					t.Fatalf("inclusion %d in %d: %v", seq, cp.Size, err)
				}
			}
		}
		for i, from := range cps {
			for _, to := range cps[i:] {
				p, err := n.ProveConsistency(ctx, tn.ID, from.Size, to.Size)
				if err != nil {
					t.Fatalf("prove %d → %d: %v", from.Size, to.Size, err)
				}
				if err := ledger.CheckConsistency(from, to, p.Proof); err != nil {
					t.Fatalf("consistency %d → %d: %v", from.Size, to.Size, err)
				}
			}
		}

		// Proofs read the latest checkpoint that covers them; they sign
		// one only when none does.
		appendN(t, st, tn.ID, 1)
		if p, err := n.ProveInclusion(ctx, tn.ID, 5, 0); err != nil || p.Checkpoint.Size != latest.Size {
			t.Fatalf("proof of a covered event: %v", err)
		}
		if p, err := n.ProveInclusion(ctx, tn.ID, 600, 0); err != nil || p.Checkpoint.Size != 601 {
			t.Fatalf("proof of an event past the latest checkpoint: %v", err)
		}

		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"negative seq", proveErr(n.ProveInclusion(ctx, tn.ID, -1, 0)), event.ErrInvalid},
			{"seq past the log", proveErr(n.ProveInclusion(ctx, tn.ID, 601, 0)), event.ErrNotFound},
			{"size that does not cover seq", proveErr(n.ProveInclusion(ctx, tn.ID, 300, 257)), event.ErrInvalid},
			{"size never signed", proveErr(n.ProveInclusion(ctx, tn.ID, 3, 7)), event.ErrNotFound},
			{"consistency from 0", proveErr(n.ProveConsistency(ctx, tn.ID, 0, 0)), event.ErrInvalid},
			{"consistency backwards", proveErr(n.ProveConsistency(ctx, tn.ID, 600, 257)), event.ErrInvalid},
			{"consistency from an unsigned size", proveErr(n.ProveConsistency(ctx, tn.ID, 2, 600)), event.ErrNotFound},
		} {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
			}
		}

		var buf bytes.Buffer
		lines, err := notary.Export(ctx, st, tn.ID, latest.Size, &buf)
		if err != nil || lines != latest.Size {
			t.Fatalf("export: %d lines, %v", lines, err)
		}
		sc, _ := n.Checkpoint(ctx, tn.ID, latest.Size)
		rep, err := ledger.VerifyExport(&buf, sc.Note, n.Keyring().VerifierKeys())
		if err != nil || !rep.OK() || rep.Verified != latest.Size || rep.Unverified != 0 {
			t.Fatalf("export does not verify: %v %s", err, rep)
		}
	})
}

// proveErr keeps the error of a proof call.
func proveErr[P any](_ P, err error) error { return err }
