package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/auditkeep/auditkeep/internal/monitor"
	"github.com/auditkeep/auditkeep/internal/safefile"
)

// watch runs the monitor: a round every --interval (or one with --once),
// an alarm on stderr and exit status 1 at the first evidence against the
// log. Failures to reach the service are warnings, not alarms, except with
// --once, where they make the exit status non-zero too.
func (c *VerifyCmd) watch(env *Env) error {
	if c.Key == "" {
		return errors.New("--watch needs --key: an API key with events:read")
	}
	vkeys, err := c.vkeys()
	if err != nil {
		return err
	}
	if len(vkeys) == 0 {
		fmt.Fprintln(env.Stderr, "warning: no --vkey: trusting the keys the service publishes, which shows accidents but not a service that lies; pin the keys")
	}
	m := monitor.New(monitor.Config{URL: c.Watch, Key: c.Key, Tenant: c.Tenant, VKeys: vkeys, HTTP: &http.Client{Timeout: 30 * time.Second}})
	if c.State != "" {
		b, err := safefile.ReadFile(c.State)
		switch {
		case err == nil:
			if err := m.Resume(b); err != nil {
				return fmt.Errorf("--state %s: %w", c.State, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("--state: %w", err)
		}
	}
	ctx := env.Ctx
	for {
		res, err := m.Round(ctx)
		var alarm *monitor.Alarm
		switch {
		case errors.As(err, &alarm):
			fmt.Fprintln(env.Stderr, alarm.Error())
			if alarm.Old != nil {
				fmt.Fprintf(env.Stderr, "  last accepted: size %d, root %s\n", alarm.Old.Size, b64(alarm.Old.Root[:]))
			}
			if alarm.New != nil {
				fmt.Fprintf(env.Stderr, "  offending:     size %d, root %s\n", alarm.New.Size, b64(alarm.New.Root[:]))
			}
			return exitCode(1)
		case err != nil && c.Once:
			return err
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(env.Stderr, "warning: %v\n", err)
		default:
			cp := res.Checkpoint
			how := "first checkpoint seen"
			if res.From >= 0 {
				how = fmt.Sprintf("extends size %d", res.From)
			}
			fmt.Fprintf(env.Stdout, "ok %s %s size %d root %s (%s)\n", time.Now().UTC().Format(time.RFC3339), cp.Origin, cp.Size, b64(cp.Root[:]), how)
			if c.State != "" {
				if err := writeState(c.State, m.Last()); err != nil {
					return err
				}
			}
		}
		if c.Once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(c.Interval):
		}
	}
}

// writeState replaces the state file whole, so a crash leaves the old
// state or the new one, never half of one, and never through a symbolic
// link planted beside it.
func writeState(path string, data []byte) error {
	o, err := safefile.NewOutput(path, true)
	if err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	defer o.Abort()
	if _, err := o.Write(data); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	return o.Commit()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
