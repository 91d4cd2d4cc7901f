package embed

import (
	"unicode"
	"unicode/utf8"
)

// maxTokenBytes bounds one token. Longer runs of letters (a URL without
// punctuation, a key mashed on the keyboard) are not words and are skipped.
const maxTokenBytes = 48

// tokenizer splits conversational English into lower-case word tokens
// without allocating: Next returns a slice into its own buffer or into a
// static expansion, valid until the next call.
//
// The rules follow how people talk and type to an assistant:
//   - letters and digits form tokens; everything else separates them, and so
//     does a change between letters and digits ("10min" → "10", "min");
//   - contractions are expanded ("I'm" → "i am", "can't" → "can not",
//     "won't" → "will not"), also when typed without the apostrophe ("im",
//     "cant", "dont"); a possessive or "is" 's is dropped;
//   - a few chat abbreviations are expanded ("rn" → "right now", "u" → "you");
//   - numbers become words ("3" → "three", "45" → "forty five"; larger ones
//     their magnitude: "hundred", "thousand", "million");
//   - common emoji become the word they stand for ("😭" → "crying");
//   - invalid UTF-8 separates tokens like any other symbol.
type tokenizer struct {
	s       string
	pos     int
	pending [][]byte // expansions still to return, in order
	buf     [maxTokenBytes + utf8.UTFMax]byte
}

func newTokenizer(s string) tokenizer { return tokenizer{s: s} }

// Next returns the next token, or nil at the end.
func (t *tokenizer) Next() []byte {
	for {
		if len(t.pending) > 0 {
			tok := t.pending[0]
			t.pending = t.pending[1:]
			return tok
		}
		if t.pos >= len(t.s) {
			return nil
		}
		if tok := t.scan(); tok != nil {
			return tok
		}
	}
}

// scan reads one run of the input and returns a token, or nil if the run
// produced none (a separator, an over-long word) or queued expansions only.
func (t *tokenizer) scan() []byte {
	r, size := utf8.DecodeRuneInString(t.s[t.pos:])
	switch {
	case isLetter(r):
		return t.word()
	case r >= '0' && r <= '9':
		return t.number()
	default:
		t.pos += size
		if exp, ok := emoji[r]; ok {
			t.pending = exp
		}
		return nil
	}
}

// word reads letters, lower-cased, plus apostrophes between letters.
func (t *tokenizer) word() []byte {
	n, apos, long := 0, -1, false
	for t.pos < len(t.s) {
		r, size := utf8.DecodeRuneInString(t.s[t.pos:])
		if isApostrophe(r) && apos < 0 && n > 0 && t.letterAt(t.pos+size) {
			apos = n
			t.pos += size
			continue
		}
		if !isLetter(r) {
			break
		}
		t.pos += size
		if n+utf8.UTFMax > maxTokenBytes {
			long = true
			continue
		}
		n += utf8.EncodeRune(t.buf[n:], unicode.ToLower(r))
	}
	if long {
		return nil
	}
	if apos >= 0 {
		return t.contraction(t.buf[:apos], t.buf[apos:n])
	}
	return t.expand(t.buf[:n])
}

func (t *tokenizer) letterAt(i int) bool {
	if i >= len(t.s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t.s[i:])
	return isLetter(r)
}

// contraction splits "base'suffix" into words ("can" + "t" → "can", "not").
func (t *tokenizer) contraction(base, suffix []byte) []byte {
	if string(suffix) == "t" && len(base) > 1 && base[len(base)-1] == 'n' {
		if exp, ok := irregularNegations[string(base)]; ok {
			t.pending = exp[1:]
			return exp[0]
		}
		t.pending = wordNot
		return base[:len(base)-1]
	}
	if exp, ok := contractionSuffixes[string(suffix)]; ok {
		t.pending = exp
	}
	return base
}

// expand replaces an apostrophe-less contraction or chat abbreviation.
func (t *tokenizer) expand(w []byte) []byte {
	if exp, ok := shorthand[string(w)]; ok {
		t.pending = exp[1:]
		return exp[0]
	}
	return w
}

// number reads a run of ASCII digits and says it in words.
func (t *tokenizer) number() []byte {
	v, digits := 0, 0
	for t.pos < len(t.s) && t.s[t.pos] >= '0' && t.s[t.pos] <= '9' {
		if digits < 10 {
			v = v*10 + int(t.s[t.pos]-'0')
		}
		digits++
		t.pos++
	}
	switch {
	case digits > 9:
		return wordMany
	case v <= 20:
		return smallNumbers[v]
	case v < 100:
		if v%10 != 0 {
			t.pending = smallNumbers[v%10 : v%10+1]
		}
		return tens[v/10]
	case v < 1000:
		return wordHundred
	case v < 1_000_000:
		return wordThousand
	default:
		return wordMillion
	}
}

func isLetter(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') ||
		r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.Is(unicode.Mn, r))
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u2018' || r == '\u02bc'
}

// Tokens returns the tokens of s as the embedders see them. It allocates;
// the embedders use the allocation-free iterator underneath.
func Tokens(s string) []string {
	var out []string
	t := newTokenizer(s)
	for tok := t.Next(); tok != nil; tok = t.Next() {
		out = append(out, string(tok))
	}
	return out
}
