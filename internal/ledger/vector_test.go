package ledger

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/auditkeep/auditkeep/internal/event"
	"github.com/google/uuid"
)

// The test vectors of docs/ledger.md: one event, its leaf encoding and
// hash, its export line, and a signed checkpoint of the one-event log.
const (
	vectorLeafData   = `{"action":"STATUS_CHANGED","action_type":"active","actor":{"email":"ase@example.com","id":"u-17","name":"Åse","type":"user"},"category":"Kyc","changes":[{"field":"status","new":"closed","old":"open"}],"channel":"","context":"","details":"","external_ref":"","id":42,"idempotency_key":"","labels":{"risk_level":"high"},"level":1,"metadata":{"a":"x\u0009y","b":1},"occurred_at":"2024-06-12T09:14:33.123456Z","payload_digest":"","reason":"","recorded_at":"2024-06-12T09:14:33.200001Z","request_id":"","seq":0,"session_id":"","source":"","status":"success","subject":{"id":"","type":""},"summary":"Case 42 closed","targets":[{"id":"42","name":"","type":"kyc_case"}],"tenant":"0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c","uuid":"0191f5a7-3d9a-7c01-8a6f-5b2e7d6c4e10","v":1}`
	vectorLeafHash   = "eb6cc8cf9c97d8499e132abef2b54dfbbc6f4672ba0ac198746d16b2437bc3dd"
	vectorExportLine = `{"id":42,"uuid":"0191f5a7-3d9a-7c01-8a6f-5b2e7d6c4e10","seq":0,"tenant":"0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c","recorded_at":"2024-06-12T09:14:33.200001Z","occurred_at":"2024-06-12T09:14:33.123456Z","category":"Kyc","action":"STATUS_CHANGED","action_type":"active","status":"success","level":1,"summary":"Case 42 closed","actor":{"type":"user","id":"u-17","name":"Åse","email":"ase@example.com"},"targets":[{"type":"kyc_case","id":"42"}],"changes":[{"field":"status","old":"open","new":"closed"}],"labels":{"risk_level":"high"},"metadata":{"a":"x\u0009y","b":1}}`
	vectorVkey       = "auditkeep+7d422599+AcRE+BH69VHDHsH4+BJaYqBY2ek0xLIuXSq/YdK+Mv4Y"
	vectorCheckpoint = "auditkeep/0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c\n" +
		"1\n" +
		"62zIz5yX2EmeEyq+8rVN+7xvRnK6CsGYdG0WskN7w90=\n" +
		"timestamp 2024-06-12T09:15:00.000Z\n" +
		"\n" +
		"— auditkeep fUIlmXWHOKSMI3Ld0s/peHkj9tiz/ecIUcL3oIMqpCGnRyGo3RRCZdvsGkqls9Wai9z9FOidl3GBmNpykR4mkL+NdgI=\n"
	vectorEmptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func TestVectors(t *testing.T) {
	t.Parallel()
	e := &event.Event{
		UUID:       uuid.MustParse("0191f5a7-3d9a-7c01-8a6f-5b2e7d6c4e10"),
		TenantID:   uuid.MustParse("0191f5a7-3d99-7f81-b7ec-962a5f5fdd7c"),
		ID:         42,
		OccurredAt: time.Date(2024, 6, 12, 9, 14, 33, 123456000, time.UTC),
		RecordedAt: time.Date(2024, 6, 12, 9, 14, 33, 200001000, time.UTC),
		Category:   "Kyc",
		Action:     "STATUS_CHANGED",
		Summary:    "Case 42 closed",
		Actor:      event.Actor{Type: "user", ID: "u-17", Name: "Åse", Email: "ase@example.com"},
		Targets:    []event.Target{{Type: "kyc_case", ID: "42"}},
		Changes:    []event.Change{{Field: "status", Old: json.RawMessage(`"open"`), New: json.RawMessage(`"closed"`)}},
		Labels:     map[string]string{"risk_level": "high"},
		Metadata:   json.RawMessage(`{"b": 1, "a": "x\ty"}`),
	}
	if err := event.Normalize(e, e.RecordedAt); err != nil {
		t.Fatal(err)
	}
	if got := string(event.LeafData(e)); got != vectorLeafData {
		t.Errorf("LeafData =\n%s\nwant\n%s", got, vectorLeafData)
	}
	if h := LeafHash(e); hex.EncodeToString(h[:]) != vectorLeafHash {
		t.Errorf("LeafHash = %x", h)
	}
	if r := emptyRoot(); hex.EncodeToString(r[:]) != vectorEmptyRoot {
		t.Errorf("empty root = %x", r)
	}
	line, err := json.Marshal(event.ToJSON(e))
	if err != nil || string(line) != vectorExportLine {
		t.Errorf("export line =\n%s\nwant\n%s", line, vectorExportLine)
	}
	rep, err := VerifyExport(strings.NewReader(vectorExportLine+"\n"), []byte(vectorCheckpoint), []string{vectorVkey})
	if err != nil || !rep.OK() || rep.Verified != 1 {
		t.Errorf("VerifyExport of the vector: %+v, %v", rep, err)
	}

	// The document shows the same bytes.
	doc, err := os.ReadFile("../../docs/ledger.md")
	if err != nil {
		t.Skipf("docs/ledger.md: %v", err)
	}
	for _, v := range []string{vectorLeafData, vectorLeafHash, vectorExportLine, vectorVkey, vectorCheckpoint, vectorEmptyRoot} {
		if !strings.Contains(string(doc), v) {
			t.Errorf("docs/ledger.md lacks the vector %q", v)
		}
	}
}
