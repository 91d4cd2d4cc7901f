package embed

// GloVeTable exposes the embedded table to the external tests.
var GloVeTable = gloveTable
