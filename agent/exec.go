package agent

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// Limits that keep a session's state small: it is read and written whole
// on every tool call.
const (
	maxWaitingCheckins = 20  // unfired check-ins and reminders
	maxKeptWins        = 100 // the most recent are kept
	// firedCheckinTTL is how long a fired check-in stays, long after anyone
	// could still ask about it.
	firedCheckinTTL = 24 * time.Hour
)

// Kinds of memory.Checkin.
const (
	kindCheckin  = "checkin"
	kindReminder = "reminder"
)

// toolFunc is one tool's work. Args have been checked against the tool.
type toolFunc func(st *memory.SessionState, a Args, now time.Time) (string, error)

var toolFuncs = map[string]toolFunc{
	"schedule_checkin":            scheduleCheckin,
	"get_time_since_last_checkin": timeSinceLastCheckin,
	"log_micro_win":               logMicroWin,
	"create_microsteps":           createMicrosteps,
	"get_current_step":            getCurrentStep,
	"mark_step_complete":          markStepComplete,
	"get_current_time":            getCurrentTime,
	"create_reminder":             createReminder,
	"start_breathing_exercise":    startBreathingExercise,
	"sensory_check":               sensoryCheck,
	"grounding_exercise":          groundingExercise,
	"suggest_break":               suggestBreak,
	"reframe_thought":             reframeThought,
}

// Execute runs the tool named by t on one session's state and returns what
// to say to the user. It depends only on (st, args, now) and touches nothing
// but st, because the caller runs it inside an optimistic-concurrency retry
// loop, on a fresh copy of the state each time. args are checked again
// against the declared tool, so Execute never runs on arguments Validate
// would refuse. Errors are Invalid; st is unchanged when there is one.
func Execute(st *memory.SessionState, t Tool, args Args, now time.Time) (string, error) {
	name := t.Name
	if n, ok := toolAliases[name]; ok {
		name = n
	}
	decl, ok := lookupDecl(name)
	if !ok {
		return "", steady.Errorf(steady.Invalid, "agent.Execute", "unknown tool %q", clipArg(t.Name))
	}
	if st == nil {
		return "", steady.Errorf(steady.Invalid, "agent.Execute", "%s: no session state", name)
	}
	a, err := decl.check(args)
	if err != nil {
		return "", err
	}
	return toolFuncs[name](st, a, now)
}

func (a Args) num(name string) int    { n, _ := a[name].(int); return n }
func (a Args) str(name string) string { s, _ := a[name].(string); return s }

// DueCheckins fires the session's check-ins and reminders that are due at
// now (Due ≤ now) and returns them, oldest first. It sets LastCheckin to now
// when any fired, and drops those fired over a day ago.
func DueCheckins(st *memory.SessionState, now time.Time) []memory.Checkin {
	if st == nil {
		return nil
	}
	var due []memory.Checkin
	for i := range st.Checkins {
		c := &st.Checkins[i]
		if !c.Fired && !c.Due.After(now) {
			c.Fired = true
			due = append(due, *c)
		}
	}
	slices.SortStableFunc(due, func(a, b memory.Checkin) int { return a.Due.Compare(b.Due) })
	if len(due) > 0 {
		st.LastCheckin = now
	}
	st.Checkins = slices.DeleteFunc(st.Checkins, func(c memory.Checkin) bool {
		return c.Fired && now.Sub(c.Due) > firedCheckinTTL
	})
	return due
}

func scheduleCheckin(st *memory.SessionState, a Args, now time.Time) (string, error) {
	m := a.num("minutes")
	if err := addCheckin(st, "schedule_checkin", kindCheckin, checkinMessage(st), now, m); err != nil {
		return "", err
	}
	return fmt.Sprintf("Okay, I'll check in with you in %s.", sayMinutes(m)), nil
}

// checkinMessage is what the check-in will say, written now: the step the
// user is on now is the one worth asking about later.
func checkinMessage(st *memory.SessionState) string {
	i, ok := stepIndex(st)
	switch {
	case !ok:
		return "Checking in: how are you doing right now?"
	case i == len(st.Steps):
		return fmt.Sprintf("Checking in: how are you feeling after finishing %s?", quoteTask(st.Task))
	}
	return fmt.Sprintf("Checking in: how's %s going? You were on step %d of %d.", quoteTask(st.Task), i+1, len(st.Steps))
}

func createReminder(st *memory.SessionState, a Args, now time.Time) (string, error) {
	task, m := a.str("task"), a.num("minutes")
	if err := addCheckin(st, "create_reminder", kindReminder, "Reminder: "+task, now, m); err != nil {
		return "", err
	}
	return fmt.Sprintf("Okay, I'll remind you about %s in %s.", quoteTask(task), sayMinutes(m)), nil
}

// addCheckin schedules a check-in or reminder minutes after now, unless
// maxWaitingCheckins are already waiting.
func addCheckin(st *memory.SessionState, tool, kind, msg string, now time.Time, minutes int) error {
	pending := 0
	for _, c := range st.Checkins {
		if !c.Fired {
			pending++
		}
	}
	if pending >= maxWaitingCheckins {
		return steady.Errorf(steady.Invalid, tool,
			"%d check-ins and reminders are already waiting, the most a session can have; tell the user, and add this one after some have come due", pending)
	}
	st.Checkins = append(st.Checkins, memory.Checkin{
		ID: checkinID(st, kind, now), Kind: kind, Message: msg, Due: now.Add(time.Duration(minutes) * time.Minute),
	})
	return nil
}

// checkinID is deterministic, as Execute must be: the kind's initial, now,
// and the first sequence number not taken at that instant.
func checkinID(st *memory.SessionState, kind string, now time.Time) string {
	for n := 1; ; n++ {
		id := fmt.Sprintf("%c-%d-%d", kind[0], now.UnixNano(), n)
		if !slices.ContainsFunc(st.Checkins, func(c memory.Checkin) bool { return c.ID == id }) {
			return id
		}
	}
}

func timeSinceLastCheckin(st *memory.SessionState, _ Args, now time.Time) (string, error) {
	var s string
	// Clamped: a LastCheckin after now (written by a host whose clock runs
	// ahead) must not come out as negative time, as it did in the original.
	elapsed := max(now.Sub(st.LastCheckin), 0)
	switch {
	case st.LastCheckin.IsZero():
		s = "No check-in yet this session."
	case elapsed < time.Minute:
		s = "The last check-in was just now."
	default:
		s = fmt.Sprintf("It's been %s since the last check-in.", sayMinutes(int(elapsed/time.Minute)))
	}
	next, ok := nextCheckin(st)
	switch {
	case !ok:
		return s, nil
	case !next.Due.After(now):
		return s + " A check-in is due now.", nil
	}
	left := int((next.Due.Sub(now) + time.Minute - 1) / time.Minute)
	return s + fmt.Sprintf(" Next check-in in %s.", sayMinutes(left)), nil
}

// nextCheckin is the earliest check-in (not reminder) still to fire.
func nextCheckin(st *memory.SessionState) (memory.Checkin, bool) {
	var next memory.Checkin
	found := false
	for _, c := range st.Checkins {
		if c.Kind == kindCheckin && !c.Fired && (!found || c.Due.Before(next.Due)) {
			next, found = c, true
		}
	}
	return next, found
}

func getCurrentTime(_ *memory.SessionState, _ Args, now time.Time) (string, error) {
	return "It's " + now.Format("3:04 PM") + ".", nil
}

func logMicroWin(st *memory.SessionState, a Args, now time.Time) (string, error) {
	desc := a.str("description")
	st.Wins = append(st.Wins, memory.Win{Description: desc, Category: a.str("category"), At: now})
	if n := len(st.Wins); n > maxKeptWins {
		// A copy, so the dropped wins do not stay in the backing array.
		st.Wins = slices.Clone(st.Wins[n-maxKeptWins:])
	}
	return fmt.Sprintf("Win logged: %s. That counts!", trimFullStop(desc)), nil
}

// trimFullStop drops a final full stop, so "finished the email." does not end
// in two.
func trimFullStop(s string) string {
	if t := strings.TrimRight(s, ".!"); t != "" {
		return t
	}
	return s
}

// sayMinutes says a number of minutes the way people say it aloud: "1 hour
// and 30 minutes" rather than "90 minutes".
func sayMinutes(m int) string {
	h, m := m/60, m%60
	switch {
	case h == 0:
		return pluralUnit(m, "minute")
	case m == 0:
		return pluralUnit(h, "hour")
	}
	return pluralUnit(h, "hour") + " and " + pluralUnit(m, "minute")
}

func pluralUnit(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func startBreathingExercise(_ *memory.SessionState, a Args, _ time.Time) (string, error) {
	switch n := a.num("breaths"); {
	case n == 1:
		return "Let's take one breath together: in through your nose for 4, hold for 4, and slowly out for 6.", nil
	case n <= 3:
		return fmt.Sprintf("Let's take %d quick breaths together: in for 4, hold for 4, and slowly out for 6.", n), nil
	default:
		return fmt.Sprintf("Let's take %d slow breaths together. Breathe in for 4 and out for 6, and let your shoulders drop a little each time.", n), nil
	}
}

func sensoryCheck(_ *memory.SessionState, _ Args, _ time.Time) (string, error) {
	return "Quick sensory check: is it too loud or too bright where you are, and how does your body feel right now?", nil
}

var groundingPrompts = map[string]string{
	"5-4-3-2-1": "Let's ground together: name 5 things you can see, 4 you can touch, 3 you can hear, 2 you can smell, and 1 you can taste.",
	"body_scan": "Let's do a short body scan: notice your feet, legs, belly, shoulders and face, and let each one soften a little.",
	"simple":    "Press your feet into the floor and feel it holding you. Take one slow breath and name one thing you can see.",
}

func groundingExercise(_ *memory.SessionState, a Args, _ time.Time) (string, error) {
	return groundingPrompts[a.str("technique")], nil
}

func suggestBreak(_ *memory.SessionState, a Args, _ time.Time) (string, error) {
	switch d := a.num("duration_minutes"); {
	case d <= 2:
		return fmt.Sprintf("Take a %d-minute break: stand up, stretch your arms high, and have a sip of water.", d), nil
	case d <= 5:
		return fmt.Sprintf("Take a %d-minute break: step away from the screen, move around a little, and get some water. Your task will wait for you.", d), nil
	default:
		return fmt.Sprintf("Take a %d-minute break: a short walk, a snack, or a rest somewhere quiet. A timer makes coming back easier.", d), nil
	}
}

var reframePrompts = map[string]string{
	"perfectionism":   "Done is better than perfect. A rough first version is real progress, and you can improve it later.",
	"catastrophizing": "That's the worst case, not the most likely one. What's one small thing you can do in the next few minutes?",
	"rsd":             "That sting is real, and it doesn't mean you did something wrong. One moment doesn't decide how people see you.",
	"overwhelm":       "You don't have to do it all at once. Let's pick just one small thing and set the rest aside for now.",
	"imposter":        "You got here through what you've actually done. Feeling unsure means you're learning, not that you don't belong.",
}

func reframeThought(_ *memory.SessionState, a Args, _ time.Time) (string, error) {
	return reframePrompts[a.str("thought_type")], nil
}
