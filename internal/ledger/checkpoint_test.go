package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"pgregory.net/rapid"
)

const goodText = "auditkeep/0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c\n" +
	"1234\n" +
	"ZsQ2xQpXo2H6xZVjB5L2Zb0QK8Y3mZ4t2Jm4n8o0b9E=\n" +
	"timestamp 2024-06-12T09:14:33.123Z\n"

func TestFormatCheckpoint(t *testing.T) {
	t.Parallel()
	root, _ := tlog.ParseHash("ZsQ2xQpXo2H6xZVjB5L2Zb0QK8Y3mZ4t2Jm4n8o0b9E=")
	cp := Checkpoint{
		Origin: Origin("", testTenant),
		Size:   1234,
		Root:   root,
		// Sub-millisecond digits and the zone are dropped.
		Time: time.Date(2024, 6, 12, 11, 14, 33, 123999999, time.FixedZone("CEST", 2*3600)),
	}
	text, err := FormatCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	if string(text) != goodText {
		t.Fatalf("FormatCheckpoint =\n%s\nwant\n%s", text, goodText)
	}
	got, err := ParseCheckpoint(text)
	if err != nil {
		t.Fatal(err)
	}
	want := cp
	want.Time = time.Date(2024, 6, 12, 9, 14, 33, 123000000, time.UTC)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []Checkpoint{
		{Origin: "", Size: 1, Time: cp.Time},
		{Origin: "has space", Size: 1, Time: cp.Time},
		{Origin: "a+b", Size: 1, Time: cp.Time},
		{Origin: "a\nb", Size: 1, Time: cp.Time},
		{Origin: "o", Size: -1, Time: cp.Time},
		{Origin: "o", Size: 1},
	} {
		if _, err := FormatCheckpoint(bad); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("FormatCheckpoint(%+v) = %v, want ErrCheckpoint", bad, err)
		}
	}
}

func TestParseCheckpointIsStrict(t *testing.T) {
	t.Parallel()
	lines := strings.SplitAfter(goodText, "\n")
	with := func(i int, s string) string {
		l := append([]string(nil), lines[:4]...)
		l[i] = s
		return strings.Join(l, "")
	}
	for name, text := range map[string]string{
		"no final newline":     strings.TrimSuffix(goodText, "\n"),
		"no timestamp":         strings.Join(lines[:3], ""),
		"extra line":           goodText + "other\n",
		"blank line":           goodText + "\n",
		"empty origin":         with(0, "\n"),
		"origin with space":    with(0, "audit keep/x\n"),
		"size leading zero":    with(1, "01234\n"),
		"size plus":            with(1, "+1234\n"),
		"size negative":        with(1, "-1\n"),
		"size overflow":        with(1, "9223372036854775808\n"),
		"size space":           with(1, "1234 \n"),
		"root short":           with(2, "ZsQ2xQpXo2H6xZVjB5L2Zb0QK8Y3mZ4t2Jm4n8o0=\n"),
		"root not canonical":   with(2, "ZsQ2xQpXo2H6xZVjB5L2Zb0QK8Y3mZ4t2Jm4n8o0b9F=\n"),
		"root url base64":      with(2, "ZsQ2xQpXo2H6xZVjB5L2Zb0QK8Y3mZ4t2Jm4n8o0b9E_\n"),
		"timestamp no ms":      with(3, "timestamp 2024-06-12T09:14:33Z\n"),
		"timestamp us":         with(3, "timestamp 2024-06-12T09:14:33.123456Z\n"),
		"timestamp offset":     with(3, "timestamp 2024-06-12T09:14:33.123+00:00\n"),
		"timestamp lowercase":  with(3, "timestamp 2024-06-12t09:14:33.123z\n"),
		"timestamp bad day":    with(3, "timestamp 2024-02-30T09:14:33.123Z\n"),
		"timestamp other key":  with(3, "time 2024-06-12T09:14:33.123Z\n"),
		"timestamp two spaces": with(3, "timestamp  2024-06-12T09:14:33.123Z\n"),
		"crlf":                 strings.ReplaceAll(goodText, "\n", "\r\n"),
	} {
		if _, err := ParseCheckpoint([]byte(text)); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: ParseCheckpoint = %v, want ErrCheckpoint", name, err)
		}
	}
	if _, err := ParseCheckpoint([]byte(goodText)); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointRoundTripProperty(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		var root tlog.Hash
		copy(root[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(rt, "root"))
		cp := Checkpoint{
			Origin: rapid.StringMatching(`[a-z0-9./_-]{1,40}`).Draw(rt, "origin"),
			Size:   rapid.Int64Min(0).Draw(rt, "size"),
			Root:   root,
			Time:   time.UnixMilli(rapid.Int64Range(0, 253402300799999).Draw(rt, "ms")).UTC(),
		}
		text, err := FormatCheckpoint(cp)
		if err != nil {
			rt.Fatal(err)
		}
		got, err := ParseCheckpoint(text)
		if err != nil {
			rt.Fatalf("ParseCheckpoint(%q): %v", text, err)
		}
		if !got.Time.Equal(cp.Time) || got.Origin != cp.Origin || got.Size != cp.Size || got.Root != cp.Root {
			rt.Fatalf("round trip: got %+v, want %+v", got, cp)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte(goodText))
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntimestamp 1970-01-01T00:00:00.000Z\n"))
	f.Add([]byte("o\n1\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		cp, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		// Strict parsing means one text per checkpoint.
		again, err := FormatCheckpoint(cp)
		if err != nil {
			t.Fatalf("parsed %q but cannot format it: %v", text, err)
		}
		if !bytes.Equal(again, text) {
			t.Fatalf("parsed %q, formats as %q", text, again)
		}
	})
}

func TestOriginTenant(t *testing.T) {
	t.Parallel()
	if got := Origin("", testTenant); got != "auditkeep/"+testTenant.String() {
		t.Errorf("Origin = %q", got)
	}
	for origin, want := range map[string]uuid.UUID{
		"auditkeep/" + testTenant.String():                  testTenant,
		"log.example.com/a/" + testTenant.String():          testTenant,
		testTenant.String():                                 uuid.Nil,
		"auditkeep/" + strings.ToUpper(testTenant.String()): uuid.Nil,
		"auditkeep/x":                            uuid.Nil,
		"auditkeep/" + testTenant.String() + "/": uuid.Nil,
	} {
		got, err := OriginTenant(origin)
		if got != want || (err == nil) != (want != uuid.Nil) {
			t.Errorf("OriginTenant(%q) = %v, %v; want %v", origin, got, err, want)
		}
	}
}

func TestSignOpen(t *testing.T) {
	t.Parallel()
	skey, vkey, err := GenerateKey("auditkeep.example.com")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring(skey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ParseCheckpoint([]byte(goodText))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ring.Sign(cp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(msg, []byte(goodText+"\n— auditkeep.example.com ")) {
		t.Fatalf("signed note:\n%s", msg)
	}
	verifiers, err := Verifiers(vkey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(msg, verifiers)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cp, got); diff != "" {
		t.Fatalf("Open (-want +got):\n%s", diff)
	}

	// A witness's cosignature by a key we do not know is ignored.
	wskey, _, _ := GenerateKey("witness.example.org")
	witness, _ := note.NewSigner(wskey)
	n, err := note.Open(msg, verifiers)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, witness)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cosigned, verifiers); err != nil {
		t.Errorf("cosigned checkpoint: %v", err)
	}

	_, otherVkey, _ := GenerateKey("auditkeep.example.com")
	others, _ := Verifiers(otherVkey)
	if _, err := Open(msg, others); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("Open with the wrong key = %v, want ErrCheckpoint", err)
	}
	altered := bytes.Replace(msg, []byte("\n1234\n"), []byte("\n1235\n"), 1)
	if _, err := Open(altered, verifiers); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("Open of an altered checkpoint = %v, want ErrCheckpoint", err)
	}
	// A validly signed note that is not a checkpoint.
	junk, _ := note.Sign(&note.Note{Text: "hello\n"}, ring.Signer())
	if _, err := Open(junk, verifiers); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("Open of a non-checkpoint = %v, want ErrCheckpoint", err)
	}
}
