package embed

import "strings"

// words builds a static expansion from a space-separated phrase.
func words(phrase string) [][]byte {
	var out [][]byte
	for _, w := range strings.Fields(phrase) {
		out = append(out, []byte(w))
	}
	return out
}

func table(m map[string]string) map[string][][]byte {
	out := make(map[string][][]byte, len(m))
	for k, v := range m {
		out[k] = words(v)
	}
	return out
}

var (
	wordNot      = words("not")
	wordMany     = []byte("many")
	wordHundred  = []byte("hundred")
	wordThousand = []byte("thousand")
	wordMillion  = []byte("million")
	smallNumbers = words("zero one two three four five six seven eight nine ten eleven twelve " +
		"thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty")
	tens = words("zero ten twenty thirty forty fifty sixty seventy eighty ninety")
)

// irregularNegations are the n't forms whose base is not the word minus "n".
var irregularNegations = table(map[string]string{
	"can": "can not", "won": "will not", "shan": "shall not", "ain": "am not",
})

// contractionSuffixes expand what follows the apostrophe. A lone 's
// (possessive, or "is") carries no meaning worth a token.
var contractionSuffixes = table(map[string]string{
	"m": "am", "re": "are", "ve": "have", "ll": "will", "d": "would", "s": "",
})

// shorthand covers contractions typed without the apostrophe and the chat
// abbreviations people use with an assistant. Ambiguous forms ("ill", "well",
// "were", "its", "hell") are left alone: they are words in their own right.
var shorthand = table(map[string]string{
	"im": "i am", "ive": "i have", "id": "i would",
	"dont": "do not", "cant": "can not", "wont": "will not", "didnt": "did not",
	"doesnt": "does not", "isnt": "is not", "arent": "are not", "wasnt": "was not",
	"werent": "were not", "havent": "have not", "hasnt": "has not", "hadnt": "had not",
	"couldnt": "could not", "shouldnt": "should not", "wouldnt": "would not",
	"mustnt": "must not", "aint": "am not",
	"youre": "you are", "theyre": "they are", "thats": "that is", "whats": "what is",
	"theres": "there is", "lets": "let us", "ur": "your", "u": "you", "r": "are",
	"rn": "right now", "idk": "i do not know", "tbh": "to be honest", "pls": "please",
	"plz": "please", "thx": "thanks", "ty": "thank you", "omg": "oh my god",
	"mins": "minutes", "min": "minutes", "hr": "hour", "hrs": "hours", "sec": "second",
	"tmrw": "tomorrow", "tmr": "tomorrow", "bc": "because", "cuz": "because", "cos": "because",
})

// emoji maps the emoji people most often use in a support chat to a word.
var emoji = func() map[rune][][]byte {
	m := map[rune]string{
		'😭': "crying", '😢': "sad", '😞': "disappointed", '😔': "sad", '🙁': "sad",
		'😩': "exhausted", '😫': "exhausted", '😴': "sleepy", '🥱': "tired",
		'😰': "anxious", '😟': "worried", '😨': "scared", '😱': "scared", '😬': "nervous",
		'😡': "angry", '😠': "angry", '😤': "frustrated", '🤯': "overwhelmed",
		'😊': "happy", '🙂': "happy", '😀': "happy", '😃': "happy", '😄': "happy", '🥳': "celebrate",
		'🎉': "celebrate", '👍': "ok", '👌': "ok", '✅': "done", '💪': "strong",
		'❤': "love", '🙏': "thanks", '😅': "relieved", '🫠': "melting", '🥲': "bittersweet",
	}
	out := make(map[rune][][]byte, len(m))
	for r, w := range m {
		out[r] = words(w)
	}
	return out
}()
