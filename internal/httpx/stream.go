package httpx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
)

// Items is the array field of an answer written by WriteStream. Its items
// are encoded one at a time as the answer is written, so the memory an
// answer holds is its items as values (the page: its limit × the largest
// event) plus one encoded item, never the whole encoded page as well.
type Items[T any] []T

// itemsMark stands for the Items field while the envelope is encoded. It
// is a JSON string no answer holds otherwise: stored text has no NUL.
const itemsMark = `"\u0000httpx.Items\u0000"`

// MarshalJSON writes the mark WriteStream replaces with the items.
func (Items[T]) MarshalJSON() ([]byte, error) { return []byte(itemsMark), nil }

// Len and At let WriteStream walk the items.
func (it Items[T]) Len() int { return len(it) }

// At returns a pointer to item i, so encoding it copies nothing.
func (it Items[T]) At(i int) any { return &it[i] }

// List is what WriteStream walks: an Items.
type List interface {
	Len() int
	At(i int) any
}

// streamBuffer is how much of an answer is written at once.
const streamBuffer = 32 << 10

// WriteStream writes v, an answer with one Items field holding items, as
// WriteJSON would, byte for byte, but encoding the items one at a time.
func WriteStream(w http.ResponseWriter, status int, contentType string, v any, items List) {
	var env bytes.Buffer
	enc := json.NewEncoder(&env)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(http.ErrAbortHandler) // our own types: a bug, and no answer yet
	}
	head, tail, ok := bytes.Cut(env.Bytes(), []byte(itemsMark))
	if !ok {
		WriteJSON(w, status, contentType, v)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	bw := bufio.NewWriterSize(w, streamBuffer)
	bw.Write(head)
	bw.WriteByte('[')
	var item bytes.Buffer
	ienc := json.NewEncoder(&item)
	ienc.SetEscapeHTML(false)
	for i := range items.Len() {
		item.Reset()
		if err := ienc.Encode(items.At(i)); err != nil {
			// The status is sent: cut the connection so the client sees a
			// broken answer, not a short one.
			panic(http.ErrAbortHandler)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.Write(bytes.TrimSuffix(item.Bytes(), []byte{'\n'}))
	}
	bw.WriteByte(']')
	bw.Write(tail)
	// A write error means the client went away; there is no one to tell.
	_ = bw.Flush()
}
