package sim_test

import (
	"math"
	"testing"

	"github.com/steady-voice/steady/sim"
)

// Reference values of Student's t: the two-sided tail P(|T| ≥ t) and the
// 0.975 quantile, as tables (and R's 2*pt(-t, df), qt(0.975, df)) give them.
func TestStudentT(t *testing.T) {
	tests := []struct{ t, df, p, q float64 }{
		{2.0, 10, 0.07338803, 2.228139},
		{1.0, 1, 0.5, 12.7062},
		{3.5, 199, 0.0005742, 1.971957},
	}
	for _, tc := range tests {
		if got := sim.StudentTwoSided(tc.t, tc.df); math.Abs(got-tc.p) > 1e-5 {
			t.Errorf("P(|T|≥%v; df %v) = %v, want %v", tc.t, tc.df, got, tc.p)
		}
		if got := sim.StudentQuantile(0.975, tc.df); math.Abs(got-tc.q) > 1e-3 {
			t.Errorf("t(0.975; df %v) = %v, want %v", tc.df, got, tc.q)
		}
	}
}

func TestPairedT(t *testing.T) {
	a := []float64{0.6, 0.8, 0.4, 1, 0.6}
	b := []float64{0.4, 0.4, 0.2, 0.6, 0.6}
	got := sim.PairedT(a, b)
	// Differences 0.2, 0.4, 0.2, 0.4, 0: mean 0.24, sd 0.1673, t 3.207, df 4.
	if math.Abs(got.MeanDiff-0.24) > 1e-9 || math.Abs(got.T-3.2071) > 1e-3 || got.DF != 4 || math.Abs(got.P-0.03266) > 1e-3 {
		t.Errorf("pairedT = %+v, want mean 0.24, t 3.207, df 4, p 0.0327", got)
	}
	if same := sim.PairedT(a, a); same.P != 1 {
		t.Errorf("identical samples: p = %v, want 1", same.P)
	}
}

func TestMeanCIIsClipped(t *testing.T) {
	m, lo, hi := sim.MeanCI([]float64{1, 1, 1, 0.6667})
	if lo > m || hi != 1 {
		t.Errorf("meanCI = %v [%v, %v], want the upper end clipped to 1", m, lo, hi)
	}
}
