package sim

// Exported for the external tests of the statistics.
var (
	StudentTwoSided   = studentTwoSided
	StudentQuantile   = studentQuantile
	PairedT           = pairedT
	MeanCI            = meanCI
	NewPersonasSpread = newPersonas
)
