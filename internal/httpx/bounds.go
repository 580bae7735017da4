package httpx

// Filter bounds of every read surface (GET /v1/events and the dialects'
// filters), so that no request's SQL outgrows what either engine takes
// (SQLite's 32766 variables and expression depth of 1000, repeated in each
// tenant's branch of a query over several tenants) or what its planning
// costs: each target, prefix and label key is a term
// the planners weigh, per tenant branch. docs/api.md lists them.
const (
	// MaxFilterValues is the most values of one filter parameter.
	MaxFilterValues = 100
	// MaxTargets is the most target= values: each is a lookup the
	// matching events must all pass.
	MaxTargets = 16
	// MaxPrefixes is the most prefix values (action_prefix and
	// target.type_prefix together): each is a range of its own, and
	// SQLite's planner weighs a list of them at a cost that grows with
	// the square of its length.
	MaxPrefixes = 16
	// MaxLabelKeys is the most label keys (label.KEY parameters).
	MaxLabelKeys = 8
	// MaxLabelValues is the most label.KEY= values, every key together.
	MaxLabelValues = 64
	// MaxFilters is the most filter values of one request, every filter
	// parameter together.
	MaxFilters = 128
)
