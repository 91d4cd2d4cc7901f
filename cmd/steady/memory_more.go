package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/steady-voice/steady/memory"
)

func (a *app) memReflectCmd() *cobra.Command {
	var r memory.Reflection
	c := &cobra.Command{
		Use:   "reflect",
		Short: "Store an insight from the end of a session",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				got, err := svc.Reflect(cmd.Context(), r)
				if err != nil {
					return err
				}
				return a.show(got, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "reflection %s (expires %s)\n", got.ID, got.ExpiresAt.Format(time.DateTime))
					return err
				})
			})
		},
	}
	f := c.Flags()
	f.StringVar(&r.UserID, "user", "", "user id (required)")
	f.StringVar(&r.SessionID, "session", "", "session id (required)")
	f.StringVar(&r.Insight, "insight", "", "what was learned (required)")
	f.StringVar(&r.Summary, "summary", "", "summary of the session (at most 500 characters)")
	markRequired(c, "user", "session", "insight")
	return c
}

func (a *app) memReflectionsCmd() *cobra.Command {
	var user string
	var limit int
	c := &cobra.Command{
		Use:   "reflections",
		Short: "List a user's reflections, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				rs, err := svc.Reflections(cmd.Context(), user, limit)
				if err != nil {
					return err
				}
				return a.show(rs, func(w io.Writer) error {
					fmt.Fprintln(w, "created\tsession\tinsight")
					for _, r := range rs {
						fmt.Fprintf(w, "%s\t%s\t%s\n", r.CreatedAt.Format(time.DateTime), r.SessionID, short(r.Insight, 70))
					}
					return nil
				})
			})
		},
	}
	c.Flags().StringVar(&user, "user", "", "user id (required)")
	c.Flags().IntVar(&limit, "limit", 0, "at most this many (0: all)")
	markRequired(c, "user")
	return c
}

func (a *app) memProfileCmd() *cobra.Command {
	var user string
	var sets []string
	c := &cobra.Command{
		Use:   "profile",
		Short: "Show a user's profile, or change it with --set",
		Long: `Shows the profile; with --set key=value (repeatable) creates or changes it.
Keys: diagnosis (NONE, ADHD, AUTISM, BOTH), diagnosis_source (OFFICIAL, SELF,
UNSPECIFIED), onboarding_complete (true/false), preferred_checkin_interval
(minutes), sensory_sensitivities (comma-separated), and pref.NAME for a
free-form preference (an empty value removes it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				var p memory.Profile
				var err error
				if len(sets) == 0 {
					p, err = svc.Profile(cmd.Context(), user)
				} else {
					p, err = svc.UpdateProfile(cmd.Context(), user, func(p *memory.Profile) error { return applySets(p, sets) })
				}
				if err != nil {
					return err
				}
				return a.show(p, func(w io.Writer) error { return printProfile(w, p) })
			})
		},
	}
	c.Flags().StringVar(&user, "user", "", "user id (required)")
	c.Flags().StringArrayVar(&sets, "set", nil, "key=value to change (repeatable)")
	markRequired(c, "user")
	return c
}

func applySets(p *memory.Profile, sets []string) error {
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("--set %q: want key=value", s)
		}
		if err := applySet(p, k, v); err != nil {
			return err
		}
	}
	return nil
}

func applySet(p *memory.Profile, k, v string) error {
	switch {
	case k == "diagnosis":
		p.Diagnosis = memory.Diagnosis(strings.ToUpper(v))
	case k == "diagnosis_source":
		p.DiagnosisSource = memory.DiagnosisSource(strings.ToUpper(v))
	case k == "onboarding_complete":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("onboarding_complete %q: want true or false", v)
		}
		p.OnboardingComplete = b
	case k == "preferred_checkin_interval":
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("preferred_checkin_interval %q: want minutes", v)
		}
		p.PreferredCheckinInterval = n
	case k == "sensory_sensitivities":
		p.SensorySensitivities = slices.DeleteFunc(strings.Split(v, ","), func(s string) bool { return strings.TrimSpace(s) == "" })
		for i := range p.SensorySensitivities {
			p.SensorySensitivities[i] = strings.TrimSpace(p.SensorySensitivities[i])
		}
	case strings.HasPrefix(k, "pref.") && len(k) > 5:
		if p.Preferences == nil {
			p.Preferences = map[string]string{}
		}
		if v == "" {
			delete(p.Preferences, k[5:])
		} else {
			p.Preferences[k[5:]] = v
		}
	default:
		return fmt.Errorf("unknown profile key %q", k)
	}
	return nil
}

func printProfile(w io.Writer, p memory.Profile) error {
	_, err := fmt.Fprintf(w, "user\t%s\ndiagnosis\t%s (%s)\nadaptation intensity\t%.1f\nonboarding complete\t%v\ncheck-in interval\t%d min\nsensory sensitivities\t%s\n",
		p.UserID, p.Diagnosis, p.DiagnosisSource, p.AdaptationIntensity(), p.OnboardingComplete,
		p.PreferredCheckinInterval, strings.Join(p.SensorySensitivities, ", "))
	for _, k := range slices.Sorted(maps.Keys(p.Preferences)) {
		fmt.Fprintf(w, "pref.%s\t%s\n", k, p.Preferences[k])
	}
	return err
}

func (a *app) memContextCmd() *cobra.Command {
	var user, query string
	var k int
	c := &cobra.Command{
		Use:   "context",
		Short: "Show the context Steady would give the model for a user",
		Long: `Prints the prompt context of the user (profile guidance, reflections, what
works) and, with --query, the few-shot examples of similar situations.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				res := struct {
					Prompt  string `json:"prompt"`
					Dynamic string `json:"dynamic,omitempty"`
				}{}
				var err error
				if res.Prompt, err = svc.PromptContext(cmd.Context(), user); err != nil {
					return err
				}
				if query != "" {
					if res.Dynamic, err = svc.DynamicContext(cmd.Context(), user, query, k); err != nil {
						return err
					}
				}
				if a.cfg.JSON {
					return a.show(res, nil)
				}
				// Plain text, not a table: the context has its own layout.
				_, err = fmt.Fprintf(a.stdout, "%s\n", strings.TrimSpace(res.Prompt+"\n\n"+res.Dynamic))
				return err
			})
		},
	}
	c.Flags().StringVar(&user, "user", "", "user id (required)")
	c.Flags().StringVar(&query, "query", "", "what the user just said, for few-shot examples")
	c.Flags().IntVar(&k, "k", 3, "at most this many examples")
	markRequired(c, "user")
	return c
}

func (a *app) memStatsCmd() *cobra.Command {
	var user string
	c := &cobra.Command{
		Use:   "stats",
		Short: "Per-tool statistics of a user, or totals across users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				if user == "" {
					t, err := svc.Totals(cmd.Context())
					if err != nil {
						return err
					}
					return a.show(t, func(w io.Writer) error { return printTotals(w, t) })
				}
				st, err := svc.Stats(cmd.Context(), user)
				if err != nil {
					return err
				}
				return a.show(st, func(w io.Writer) error { return printStats(w, st) })
			})
		},
	}
	c.Flags().StringVar(&user, "user", "", "user id (omit for totals across users)")
	return c
}

func printStats(w io.Writer, st memory.Stats) error {
	fmt.Fprintf(w, "%d interventions (%d successful), %d reflections\n\n", st.Interventions, st.Successful, st.Reflections)
	fmt.Fprintln(w, "tool\tuses\tsuccesses\tmean effectiveness")
	for _, t := range st.Tools {
		eff := "-"
		if t.MeanEffectiveness != nil {
			eff = fmt.Sprintf("%.2f", *t.MeanEffectiveness)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", t.Tool, t.Uses, t.Successes, eff)
	}
	return nil
}

// printTotals prints the counts, the per-tool table and the growth line:
// the interventions created on each of the last days, oldest first.
func printTotals(w io.Writer, t memory.Totals) error {
	fmt.Fprintf(w, "users\t%d\ninterventions\t%d\nreflections\t%d\nprofiles\t%d\nsessions\t%d\n",
		t.Users, t.Interventions, t.Reflections, t.Profiles, t.Sessions)
	if len(t.Tools) > 0 {
		fmt.Fprintln(w, "\ntool\tuses\tsuccesses\tsuccess rate\tscored\tmean effectiveness")
	}
	for _, tt := range t.Tools {
		eff := "-"
		if tt.MeanEffectiveness != nil {
			eff = fmt.Sprintf("%.2f", *tt.MeanEffectiveness)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%.0f%%\t%d\t%s\n", tt.Tool, tt.Uses, tt.Successes,
			100*float64(tt.Successes)/float64(max(tt.Uses, 1)), tt.Scored, eff)
	}
	if len(t.Daily) == 0 {
		return nil
	}
	counts, total := make([]string, len(t.Daily)), 0
	for i, d := range t.Daily {
		counts[i], total = strconv.Itoa(d.Count), total+d.Count
	}
	_, err := fmt.Fprintf(w, "\nnew interventions %s … %s: %d (per day: %s)\n",
		t.Daily[0].Day, t.Daily[len(t.Daily)-1].Day, total, strings.Join(counts, " "))
	return err
}

func (a *app) memForgetCmd() *cobra.Command {
	var user string
	c := &cobra.Command{
		Use:   "forget",
		Short: "Delete every record of a user",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withMemory(cmd, func(svc *memory.Service) error {
				f, err := svc.Forget(cmd.Context(), user)
				if err != nil {
					return err
				}
				return a.show(f, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "deleted %d interventions, %d reflections, %d profiles, %d sessions\n",
						f.Interventions, f.Reflections, f.Profiles, f.Sessions)
					return err
				})
			})
		},
	}
	c.Flags().StringVar(&user, "user", "", "user id (required)")
	markRequired(c, "user")
	return c
}
