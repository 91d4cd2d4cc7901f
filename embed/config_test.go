package embed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/steady-voice/steady/embed"
)

func TestNewSelectsProvider(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		cfg      embed.Config
		wantName string
		wantErr  string
	}{
		{"zero value is glove", embed.Config{}, "glove-sif/", ""},
		{"glove by name", embed.Config{Provider: "GloVe"}, "glove-sif/", ""},
		{"cached glove keeps its name", embed.Config{CacheSize: 10}, "glove-sif/", ""},
		{"glove with a model", embed.Config{Model: "x"}, "", "glove takes no model"},
		{"unknown provider", embed.Config{Provider: "cohere"}, "", `unknown provider "cohere"`},
		{"negative cache", embed.Config{CacheSize: -1}, "", "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := embed.New(ctx, tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(e.Name(), tc.wantName) {
				t.Errorf("Name() = %q, want prefix %q", e.Name(), tc.wantName)
			}
			if _, isCache := e.(*embed.Cache); isCache != (tc.cfg.CacheSize > 0) {
				t.Errorf("cache wrapper = %v, want %v", isCache, tc.cfg.CacheSize > 0)
			}
		})
	}
}
