package bench

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Corpus makes ingest events in a mix of the four vendors' shapes. The
// full corpus (the worst case) fills the shared fields (actor with email,
// request id, channel, labels) in every shape, about 400 bytes of JSON;
// the realistic one fills only what each vendor's clients send and leaves
// the rest empty, as they do.
type Corpus struct {
	rnd       *rand.Rand
	base      time.Time
	realistic bool
}

// Corpus names, for --corpus.
const (
	CorpusFull      = "full"
	CorpusRealistic = "realistic"
)

// NewCorpus seeds a full corpus; the same seed gives the same events.
func NewCorpus(seed uint64) *Corpus {
	return &Corpus{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), base: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// NewNamedCorpus seeds the corpus name calls for (CorpusFull or
// CorpusRealistic).
func NewNamedCorpus(name string, seed uint64) (*Corpus, error) {
	c := NewCorpus(seed)
	switch name {
	case CorpusFull, "":
	case CorpusRealistic:
		c.realistic = true
	default:
		return nil, fmt.Errorf("corpus %q: want %s or %s", name, CorpusRealistic, CorpusFull)
	}
	return c, nil
}

var (
	categories = []string{"Identity", "Cpr", "Pep", "Rofus", "Safe", "Other"}
	operations = map[string][]string{
		"Identity": {"start", "result"}, "Cpr": {"lookup", "validate"}, "Pep": {"check", "check_bulk"},
		"Rofus": {"gambler_check", "csrp_check", "commercial_check_bulk", "evaluation"},
		"Safe":  {"session", "jackpot", "end_of_day"}, "Other": {"other"},
	}
	kycActions  = []string{"ANSWER_SAVED", "STATUS_CHANGED", "SANCTIONS_SEARCH", "DOCUMENT_UPLOADED"}
	actorTypes  = []string{"AcquirerUser", "MerchantUser", "StaffUser", "ApiKey", "AcquirerApiKey"}
	subjects    = []string{"Merchant", "Order", "Payment", "Refund", "Acquirer"}
	controllers = []string{"index", "show", "create", "update", "destroy"}
	channels    = []string{"API", "PORTAL", "ONESDK", "SYSTEM"}
	workflows   = []string{"safe_harbour_1+1", "kyc_standard", "aml_monitoring"}
	risks       = []string{"LOW", "MEDIUM", "HIGH", "UNKNOWN"}
)

func (c *Corpus) pick(xs []string) string { return xs[c.rnd.IntN(len(xs))] }

// Event returns the i-th event as ingest JSON.
func (c *Corpus) Event(i int) map[string]any {
	if c.realistic {
		return c.sparse(i)
	}
	at := c.base.Add(time.Duration(i) * 1500 * time.Millisecond).Add(time.Duration(c.rnd.IntN(1000)) * time.Millisecond)
	user := c.rnd.IntN(500)
	e := map[string]any{
		"occurred_at": at.Format(time.RFC3339Nano),
		"actor":       map[string]any{"type": c.pick(actorTypes), "id": fmt.Sprintf("u-%d", user), "name": fmt.Sprintf("User %d", user), "email": fmt.Sprintf("user%d@example.com", user)},
		"request_id":  fmt.Sprintf("req-%016x", c.rnd.Uint64()),
		"channel":     c.pick(channels),
		"labels":      map[string]any{"workflow_name": c.pick(workflows), "risk_level": c.pick(risks)},
	}
	switch i % 4 {
	case 0: // Fortuna
		cat := c.pick(categories)
		e["category"], e["action"] = cat, c.pick(operations[cat])
		e["action_type"] = "passive"
		e["external_ref"] = fmt.Sprintf("customer-ref-%05d", c.rnd.IntN(20000))
		e["context"] = "player-login"
		e["summary"] = "GamblerStatus=NotRegistered, IsMinor=False, IsBlockedForPlay=False"
	case 1: // Auditply
		e["action"] = c.pick(kycActions)
		kase := c.rnd.IntN(5000)
		e["targets"] = []any{map[string]any{"type": "kyc_answer", "id": fmt.Sprint(c.rnd.IntN(100000))}, map[string]any{"type": "kyc_case", "id": fmt.Sprint(kase)}}
		e["changes"] = []any{map[string]any{"field": "status", "old": "PENDING_REVIEW", "new": "REVIEWED"}}
	case 2: // FrankieOne
		e["action"] = "ENTITY_UPDATE"
		e["level"] = 1 + c.rnd.IntN(3)
		e["source"] = "FrankieOne System"
		e["summary"] = "Executing Vendor Check for Entity"
		e["subject"] = map[string]any{"type": "INDIVIDUAL", "id": fmt.Sprintf("ent-%d", c.rnd.IntN(50000))}
		e["metadata"] = map[string]any{"functionName": "executeVendorCheck", "elapsedTimeInMilliSeconds": c.rnd.IntN(50)}
	default: // Moyasar
		e["action"] = c.pick(controllers)
		e["session_id"] = fmt.Sprintf("sess-%d", c.rnd.IntN(10000))
		e["targets"] = []any{map[string]any{"type": c.pick(subjects), "id": fmt.Sprintf("obj-%d", c.rnd.IntN(100000))}}
		e["metadata"] = map[string]any{"request_path": "/v1/merchants", "user_agent": "curl/8.5"}
	}
	return e
}

// sparse is the i-th event of the realistic corpus: each vendor's shape
// with only the fields that vendor's clients fill (issue 11):
// Fortuna category, operation, external ref, context, summary; Auditply
// actor name, kyc_case target, changes; FrankieOne request id, subject,
// labels, metadata; Moyasar actor with email, subject target, session id.
func (c *Corpus) sparse(i int) map[string]any {
	at := c.base.Add(time.Duration(i) * 1500 * time.Millisecond).Add(time.Duration(c.rnd.IntN(1000)) * time.Millisecond)
	e := map[string]any{"occurred_at": at.Format(time.RFC3339Nano)}
	switch i % 4 {
	case 0: // Fortuna
		cat := c.pick(categories)
		e["category"], e["action"] = cat, c.pick(operations[cat])
		e["external_ref"] = fmt.Sprintf("customer-ref-%05d", c.rnd.IntN(20000))
		e["context"] = "player-login"
		e["summary"] = "GamblerStatus=NotRegistered, IsMinor=False, IsBlockedForPlay=False"
	case 1: // Auditply
		e["action"] = c.pick(kycActions)
		e["actor"] = map[string]any{"name": fmt.Sprintf("Reviewer %d", c.rnd.IntN(200))}
		e["targets"] = []any{map[string]any{"type": "kyc_case", "id": fmt.Sprint(c.rnd.IntN(5000))}}
		e["changes"] = []any{map[string]any{"field": "status", "old": "PENDING_REVIEW", "new": "REVIEWED"}}
	case 2: // FrankieOne
		e["action"] = "ENTITY_UPDATE"
		e["request_id"] = fmt.Sprintf("req-%016x", c.rnd.Uint64())
		e["subject"] = map[string]any{"type": "INDIVIDUAL", "id": fmt.Sprintf("ent-%d", c.rnd.IntN(50000))}
		e["labels"] = map[string]any{"workflow_name": c.pick(workflows), "risk_level": c.pick(risks)}
		e["metadata"] = map[string]any{"functionName": "executeVendorCheck", "elapsedTimeInMilliSeconds": c.rnd.IntN(50)}
	default: // Moyasar
		user := c.rnd.IntN(500)
		e["action"] = c.pick(controllers)
		e["actor"] = map[string]any{"type": c.pick(actorTypes), "id": fmt.Sprintf("u-%d", user), "email": fmt.Sprintf("user%d@example.com", user)}
		e["targets"] = []any{map[string]any{"type": c.pick(subjects), "id": fmt.Sprintf("obj-%d", c.rnd.IntN(100000))}}
		e["session_id"] = fmt.Sprintf("sess-%d", c.rnd.IntN(10000))
	}
	return e
}
