package observe

import "unicode/utf8"

// redacts reports whether key names a secret; see Capture.
func (c *capturer) redacts(key string) bool {
	if len(c.redact) == 0 {
		return false
	}
	var normBuf [64]byte
	var startBuf [64]bool
	norm, starts := wordsOf(key, normBuf[:0], startBuf[:0])
	for _, target := range c.redact {
		if matchWords(norm, starts, target) {
			return true
		}
	}
	return false
}

// wordsOf lower-cases key keeping letters and digits only, and marks where
// each word begins; the buffers avoid allocating for short keys.
func wordsOf(key string, norm []byte, starts []bool) ([]byte, []bool) {
	newWord := true
	prevLower := false
	for _, r := range key {
		isUpper := r >= 'A' && r <= 'Z'
		isAlnum := isUpper || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= utf8.RuneSelf
		if !isAlnum {
			newWord = true
			prevLower = false
			continue
		}
		if isUpper && prevLower {
			newWord = true
		}
		if isUpper {
			r += 'a' - 'A'
		}
		norm = utf8.AppendRune(norm, r)
		starts = append(starts, newWord)
		for len(starts) < len(norm) {
			starts = append(starts, false)
		}
		newWord = false
		prevLower = !isUpper
	}
	return norm, starts
}

func matchWords(norm []byte, starts []bool, target string) bool {
	for p := 0; p+len(target) <= len(norm); p++ {
		end := p + len(target)
		if starts[p] && string(norm[p:end]) == target && (end == len(norm) || starts[end]) {
			return true
		}
	}
	return false
}

func normaliseKey(k string) string {
	norm, _ := wordsOf(k, nil, nil)
	return string(norm)
}
