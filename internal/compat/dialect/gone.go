package dialect

import (
	"log/slog"
	"net/http"

	"github.com/auditkeep/auditkeep/internal/httpapi"
)

// StatusClientClosed is httpapi.StatusClientClosed: nginx's 499, "client
// closed request", the status of a request whose client went away.
const StatusClientClosed = httpapi.StatusClientClosed

// ClientGone reports whether err ended r because its client went away
// (see httpapi.ClientGone).
func ClientGone(r *http.Request, err error) bool { return httpapi.ClientGone(r, err) }

// Abandon ends a request ClientGone reported on, logged at Info and
// recorded as StatusClientClosed (see httpapi.Abandon).
func Abandon(w http.ResponseWriter, r *http.Request, log *slog.Logger, msg string, attrs ...any) {
	httpapi.Abandon(w, r, log, msg, attrs...)
}
