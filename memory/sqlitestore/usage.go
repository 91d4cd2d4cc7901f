package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/steady-voice/steady/memory"
)

// usage fills t.Tools and t.Daily from the live interventions of every user,
// within the read transaction tx, so they agree with each other. It is an
// operator's call: one pass over the live rows per aggregate.
func usage(ctx context.Context, tx *sql.Tx, now time.Time, t *memory.Totals) error {
	var err error
	if t.Tools, err = toolTotals(ctx, tx, nanos(now)); err != nil {
		return err
	}
	t.Daily, err = dailyCounts(ctx, tx, now)
	return err
}

func toolTotals(ctx context.Context, tx *sql.Tx, now int64) ([]memory.ToolTotals, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tool, count(*),
			total(outcome IN (?2, ?3)),
			count(json_extract(scores, '$.'||?4)),
			avg(json_extract(scores, '$.'||?4))
		FROM interventions WHERE expires_at > ?1 GROUP BY tool`,
		now, string(memory.TaskCompleted), string(memory.ReEngaged), memory.Effectiveness)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tools := []memory.ToolTotals{}
	for rows.Next() {
		var (
			tt        memory.ToolTotals
			successes float64
			mean      sql.NullFloat64
		)
		if err := rows.Scan(&tt.Tool, &tt.Uses, &successes, &tt.Scored, &mean); err != nil {
			return nil, err
		}
		tt.Successes = int(successes)
		if mean.Valid {
			tt.MeanEffectiveness = &mean.Float64
		}
		tools = append(tools, tt)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	memory.SortTools(tools)
	return tools, nil
}

func dailyCounts(ctx context.Context, tx *sql.Tx, now time.Time) ([]memory.DayCount, error) {
	days, start := memory.GrowthDaysUntil(now)
	const day = int64(24 * time.Hour)
	from := nanos(start)
	rows, err := tx.QueryContext(ctx, `SELECT (created_at - ?2) / ?3 AS d, count(*)
		FROM interventions
		WHERE expires_at > ?1 AND created_at >= ?2 AND created_at < ?4
		GROUP BY d`, nanos(now), from, day, from+int64(len(days))*day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d, n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		days[d].Count = n
	}
	return days, rows.Err()
}
