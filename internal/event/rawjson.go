package event

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// encoding/json is lenient where auditkeep must not be: it replaces invalid
// UTF-8 and lone UTF-16 surrogates ("\ud800") with U+FFFD without a word,
// it matches object keys to struct fields without regard to case, and a
// key given twice silently keeps the last value. An audit record must be
// what the writer sent or nothing, so CheckJSON looks at the raw bytes
// before they are decoded.

// errDefer stops a check where the decoder gives the better answer: a
// syntax error, an unknown field, nesting deeper than Canonical allows.
var errDefer = errors.New("left to the decoder")

// CheckJSON checks raw, a JSON document about to be decoded into v (a
// pointer, or a nil pointer of the right type), for what encoding/json
// would let through: every string, key or value, at any depth, must be
// valid UTF-8 without lone surrogates or NUL; no object may repeat a key;
// and in the objects that map to a struct, no two keys may differ only by
// case. Objects that map to a Go map or to raw JSON keep case-distinct
// keys, which are different keys there. Syntax errors are left to the
// decoder, which names them better. The first problem is a *FieldError
// named by its path ("events[3].metadata.note").
func CheckJSON(raw []byte, v any) error { return checkJSON(raw, v, false) }

func checkJSON(raw []byte, v any, allowNUL bool) error {
	c := checker{b: raw, allowNUL: allowNUL}
	c.ws()
	err := c.value(shapeOf(reflect.TypeOf(v)), 0)
	if errors.Is(err, errDefer) {
		return nil
	}
	return err
}

// shape is what the decoder will do with a JSON value.
type shape struct {
	fields map[string]*shape // struct: fields by lower-cased JSON name
	elem   *shape            // slice, array or map element
}

// generic is raw JSON, an interface or anything else untyped: every string
// checked, exact duplicate keys refused.
var generic = &shape{}

var shapes sync.Map // reflect.Type → *shape, each complete before it is stored

func shapeOf(t reflect.Type) *shape { return buildShape(t, map[reflect.Type]*shape{}) }

func buildShape(t reflect.Type, building map[reflect.Type]*shape) *shape {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == reflect.TypeFor[json.RawMessage]() {
		return generic
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	if s, ok := building[t]; ok {
		return s // a recursive type
	}
	s := &shape{}
	building[t] = s
	switch t.Kind() {
	case reflect.Struct:
		s.fields = map[string]*shape{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			s.fields[strings.ToLower(name)] = buildShape(f.Type, building)
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		s.elem = buildShape(t.Elem(), building)
	}
	delete(building, t)
	if len(building) == 0 {
		shapes.Store(t, s)
	}
	return s
}

func (s *shape) child(key string) *shape {
	switch {
	case s == nil, s == generic:
		// nil: a value where the decoder expects another kind (an array
		// for a struct); the decoder refuses it, its strings are checked.
		return generic
	case s.fields != nil:
		return s.fields[strings.ToLower(key)]
	case s.elem != nil:
		return s.elem
	}
	return generic
}

// keyProblem rephrases a string's problem for a key.
var keyProblem = strings.NewReplacer("must be", "is not", "must not contain", "contains")

type checker struct {
	b    []byte
	i    int
	path []string // keys and "[i]" from the root to the value being read
	// allowNUL passes "\u0000": events stored before NUL was refused at
	// ingest may hold it in metadata or change values.
	allowNUL bool
}

func (c *checker) ws() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *checker) name() string {
	if len(c.path) == 0 {
		return "body"
	}
	var b strings.Builder
	for _, p := range c.path {
		if b.Len() > 0 && (p == "" || p[0] != '[') {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func (c *checker) value(s *shape, depth int) error {
	if depth > maxJSONDepth || c.i >= len(c.b) {
		return errDefer
	}
	switch c.b[c.i] {
	case '{':
		return c.object(s, depth)
	case '[':
		return c.array(s, depth)
	case '"':
		_, problem, err := c.str(false)
		if err != nil {
			return err
		}
		if problem != "" {
			return Invalid(c.name(), "%s", problem)
		}
		return nil
	}
	// A number or a literal: the decoder checks it.
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		c.i++
	}
	return nil
}

func (c *checker) array(s *shape, depth int) error {
	c.i++
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return nil
	}
	for n := 0; ; n++ {
		c.path = append(c.path, "["+strconv.Itoa(n)+"]")
		c.ws()
		if err := c.value(s.child(""), depth+1); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]
		c.ws()
		if c.i >= len(c.b) {
			return errDefer
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			return nil
		default:
			return errDefer
		}
	}
}

func (c *checker) object(s *shape, depth int) error {
	c.i++
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return nil
	}
	strict := s != nil && s.fields != nil
	var seen []string
	var seenSet map[string]struct{}
	for {
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return errDefer
		}
		key, problem, err := c.str(true)
		if err != nil {
			return err
		}
		if problem != "" {
			return Invalid(c.name(), "has a key that %s", keyProblem.Replace(problem))
		}
		var child *shape
		if strict {
			// An unknown field is the decoder's to name; stopping here also
			// bounds the case-insensitive comparison to the struct's fields.
			if child = s.child(key); child == nil {
				return errDefer
			}
			for _, k := range seen {
				if strings.EqualFold(k, key) {
					c.path = append(c.path, key)
					if k == key {
						return Invalid(c.name(), "is given twice")
					}
					return Invalid(c.name(), "repeats %q: keys are matched without regard to case, so send it once", k)
				}
			}
			seen = append(seen, key)
		} else {
			child = s.child(key)
			if seenSet == nil && len(seen) == 16 {
				seenSet = make(map[string]struct{}, 32)
				for _, k := range seen {
					seenSet[k] = struct{}{}
				}
			}
			dup := false
			if seenSet != nil {
				_, dup = seenSet[key]
				seenSet[key] = struct{}{}
			} else {
				for _, k := range seen {
					dup = dup || k == key
				}
				seen = append(seen, key)
			}
			if dup {
				c.path = append(c.path, key)
				return Invalid(c.name(), "is given twice")
			}
		}
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return errDefer
		}
		c.i++
		c.ws()
		c.path = append(c.path, key)
		if err := c.value(child, depth+1); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]
		c.ws()
		if c.i >= len(c.b) {
			return errDefer
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case '}':
			c.i++
			return nil
		default:
			return errDefer
		}
	}
}

// str reads the string at c.i. It returns the decoded string when keep is
// set, and a problem ("must be valid UTF-8", ...) when the string is
// well-formed JSON but not acceptable text. err is errDefer on a syntax
// error.
func (c *checker) str(keep bool) (string, string, error) {
	c.i++
	var out []byte
	problem := ""
	for c.i < len(c.b) {
		b := c.b[c.i]
		switch {
		case b == '"':
			c.i++
			return string(out), problem, nil
		case b < 0x20:
			return "", "", errDefer
		case b == '\\':
			r, n, p := c.escape()
			if n == 0 {
				return "", "", errDefer
			}
			if problem == "" {
				problem = p
			}
			if keep {
				out = utf8.AppendRune(out, r)
			}
			c.i += n
		case b < utf8.RuneSelf:
			if keep {
				out = append(out, b)
			}
			c.i++
		default:
			r, n := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError && n == 1 && problem == "" {
				problem = "must be valid UTF-8"
			}
			if keep {
				out = append(out, c.b[c.i:c.i+n]...)
			}
			c.i += n
		}
	}
	return "", "", errDefer
}

// escape reads the escape sequence at c.i: its rune, its length (0 when it
// is malformed) and a problem with it.
func (c *checker) escape() (rune, int, string) {
	if c.i+1 >= len(c.b) {
		return 0, 0, ""
	}
	switch c.b[c.i+1] {
	case '"', '\\', '/':
		return rune(c.b[c.i+1]), 2, ""
	case 'b':
		return '\b', 2, ""
	case 'f':
		return '\f', 2, ""
	case 'n':
		return '\n', 2, ""
	case 'r':
		return '\r', 2, ""
	case 't':
		return '\t', 2, ""
	case 'u':
	default:
		return 0, 0, ""
	}
	r, ok := hex4(c.b[c.i+2:])
	switch {
	case !ok:
		return 0, 0, ""
	case r == 0 && !c.allowNUL:
		return r, 6, "must not contain NUL characters"
	case r >= 0xDC00 && r <= 0xDFFF:
		return utf8.RuneError, 6, "must not contain a lone UTF-16 surrogate (\\u" + strconv.FormatInt(int64(r), 16) + ")"
	case r < 0xD800 || r > 0xDBFF:
		return r, 6, ""
	}
	// A high surrogate counts only with the low one after it.
	rest := c.b[c.i+6:]
	if len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
		if lo, ok := hex4(rest[2:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12, ""
		}
	}
	return utf8.RuneError, 6, "must not contain a lone UTF-16 surrogate (\\u" + strconv.FormatInt(int64(r), 16) + ")"
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, x := range b[:4] {
		switch {
		case x >= '0' && x <= '9':
			x -= '0'
		case x >= 'a' && x <= 'f':
			x -= 'a' - 10
		case x >= 'A' && x <= 'F':
			x -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(x)
	}
	return r, true
}
