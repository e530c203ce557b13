package matcher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/pkg/definition"
	"github.com/rigger-ci/rigger/pkg/event"
)

// matchOne matches one definition through Select (or SelectChanges when changes is set),
// as the trigger does, and counts the changed files fetches. With neither changed nor
// changes, the event's own changed files are used (a push payload's).
func matchOne(t *testing.T, ann map[string]string, ev *event.Event, changed []string, changes *Changes) (Result, int) {
	t.Helper()
	calls := 0
	defs := []*definition.Definition{{Name: "d", Annotations: ann}}
	var decisions []Decision
	var err error
	if changes != nil {
		_, decisions, err = SelectChanges(context.Background(), defs, ev, Options{}, func(context.Context) (Changes, error) { calls++; return *changes, nil })
	} else if changed != nil {
		_, decisions, err = Select(context.Background(), defs, ev, Options{}, func(context.Context) ([]string, error) { calls++; return changed, nil })
	} else {
		_, decisions, err = Select(context.Background(), defs, ev, Options{}, nil) // the event's own, as a push's
	}
	if err != nil {
		t.Fatal(err)
	}
	return decisions[0].Result, calls
}

func onCEL(expr string, more ...string) map[string]string {
	return pac(append([]string{"on-cel-expression", expr}, more...)...)
}

func TestCEL(t *testing.T) {
	opened := func(t *testing.T) *event.Event { return delivery(t, "pull_request", "opened.payload.json", nil) }
	labeled := func(t *testing.T) *event.Event { return delivery(t, "pull_request", "labeled.payload.json", nil) }
	pushed := func(t *testing.T) *event.Event { return delivery(t, "push", "with-new-branch.payload.json", nil) }
	// A push of three commits, made from the real one, to show every kind of change.
	pushedKinds := func(t *testing.T) *event.Event {
		return delivery(t, "push", "with-new-branch.payload.json", func(m map[string]any) {
			c := m["commits"].([]any)[0].(map[string]any)
			c2 := map[string]any{"id": "2", "added": []any{"docs/new.md"}, "removed": []any{"old.go"}, "modified": []any{"README.md"}}
			c3 := map[string]any{"id": "3", "added": []any{}, "removed": []any{}, "modified": []any{"README.md", "main.go"}}
			m["commits"] = []any{c, c2, c3}
		})
	}
	prChanges := &Changes{All: []string{"a.go", "b.go", "docs/c.md", "new.go"}, Added: []string{"new.go"}, Deleted: []string{"gone.go"},
		Modified: []string{"a.go"}, Renamed: []string{"b.go"}}

	tests := []struct {
		name    string
		ann     map[string]string
		ev      func(*testing.T) *event.Event
		changed []string
		changes *Changes
		want    bool
		reason  string
		fetches int
	}{
		{"pr event and branches", onCEL(`event == "pull_request" && target_branch == "master" && source_branch == "changes"`), opened, nil, nil, true, "on-cel-expression is true", 0},
		{"pr other branch", onCEL(`event == "pull_request" && target_branch == "main"`), opened, nil, nil, false, "on-cel-expression is false", 0},
		{"pr event_type is the header's", onCEL(`event_type == "pull_request"`), opened, nil, nil, true, "", 0},
		{"pr title", onCEL(`event_title.startsWith("Update the README")`), opened, nil, nil, true, "", 0},
		{"pr urls", onCEL(`target_url == "https://github.com/Codertocat/Hello-World" && source_url == target_url`), opened, nil, nil, true, "", 0},
		{"regex on a branch", onCEL(`source_branch.matches("^chan")`), opened, nil, nil, true, "", 0},
		{"body fields", onCEL(`body.pull_request.user.login == "Codertocat" && body.action == "opened" && body.pull_request.number == 2`), opened, nil, nil, true, "", 0},
		{"body other author", onCEL(`body.pull_request.user.login == "superuser"`), opened, nil, nil, false, "is false", 0},
		{"body missing field", onCEL(`body.nothing.here == "x"`), opened, nil, nil, false, "no such key", 0},
		{"headers lower-cased", onCEL(`headers['x-github-event'] == "pull_request" && headers['user-agent'].startsWith("GitHub-Hookshot/")`), opened, nil, nil, true, "", 0},
		{"headers keep no canonical names", onCEL(`'X-GitHub-Event' in headers`), opened, nil, nil, false, "is false", 0},
		{"cel ignores on-event and on-target-branch", onCEL(`event == "pull_request"`, "on-event", "[push]", "on-target-branch", "[nope]"), opened, nil, nil, true, "", 0},
		{"cel ignores path annotations", onCEL(`true`, "on-path-change", "[nothing/**]"), opened, []string{"a.go"}, nil, true, "", 0},
		{"cel ignores on-label", onCEL(`true`, "on-label", "[nope]"), opened, nil, nil, true, "", 0},
		{"rigger prefix wins", onCEL(`false`, PrefixRigger+"on-cel-expression", `true`), opened, nil, nil, true, PrefixRigger + "on-cel-expression", 0},

		{"files.all", onCEL(`files.all.exists(f, f.startsWith("docs/"))`), opened, []string{"main.go", "docs/a.md"}, nil, true, "", 1},
		{"files.all none", onCEL(`files.all.exists(f, f.startsWith("docs/"))`), opened, []string{"main.go"}, nil, false, "is false", 1},
		{"pathChanged", onCEL(`"docs/*.md".pathChanged()`), opened, []string{"main.go", "docs/a.md"}, nil, true, "", 1},
		{"pathChanged star stays in its directory", onCEL(`"docs/*.md".pathChanged()`), opened, []string{"docs/x/a.md"}, nil, false, "is false", 1},
		{"pathChanged double star", onCEL(`"docs/**/*.md".pathChanged() && !"src/**".pathChanged()`), opened, []string{"docs/x/a.md"}, nil, true, "", 1},
		{"pathChanged bad glob", onCEL(`"docs/[".pathChanged()`), opened, []string{"docs/a.md"}, nil, false, "invalid glob", 1},
		{"pathChanged on a variable", onCEL(`(source_branch + "/**").pathChanged()`), opened, []string{"changes/x"}, nil, true, "", 1},
		{"files not fetched when not read", onCEL(`event == "pull_request"`), opened, []string{"a.go"}, nil, true, "", 0},
		{"pr kinds unknown from paths", onCEL(`files.added.size() > 0`), opened, []string{"a.go"}, nil, false, "only files.all is known", 1},
		{"pr kinds given", onCEL(`files.added == ["new.go"] && files.deleted == ["gone.go"] && files.modified == ["a.go"] && files.renamed == ["b.go"] && files.all.size() == 4`), opened, nil, prChanges, true, "", 1},
		{"pr kinds and pathChanged", onCEL(`"docs/**".pathChanged()`), opened, nil, prChanges, true, "", 1},

		{"push short branch", onCEL(`event == "push" && target_branch == "master" && source_branch == "master"`), pushed, nil, nil, true, "", 0},
		{"push full ref when compared with one", onCEL(`target_branch == "refs/heads/master"`), pushed, nil, nil, true, "", 0},
		{"push title is the head commit's message", onCEL(`event_title == "Initial commit"`), pushed, nil, nil, true, "", 0},
		{"push event_type", onCEL(`event_type == "push" && headers['x-github-event'] == "push"`), pushed, nil, nil, true, "", 0},
		{"push body", onCEL(`body.ref == "refs/heads/master" && body.created`), pushed, nil, nil, true, "", 0},
		{"push files from its payload", onCEL(`files.all == ["README.md"] && files.added == ["README.md"] && files.modified.size() == 0`), pushed, nil, nil, true, "", 0},
		{"push kinds across commits", onCEL(`files.added == ["README.md", "docs/new.md"] && files.deleted == ["old.go"] && files.modified == ["README.md", "main.go"] && files.renamed == []`), pushedKinds, nil, nil, true, "", 0},
		{"push pathChanged", onCEL(`"*.md".pathChanged()`), pushed, nil, nil, true, "", 0},

		{"labeled not read", onCEL(`event == "pull_request"`), labeled, nil, nil, false, "only when it reads event_type or labels", 0},
		{"labeled by event_type", onCEL(`event_type == "pull_request_labeled" && body.label.name == "bug"`), labeled, nil, nil, true, "", 0},
		{"labeled by labels", onCEL(`body.pull_request.labels.exists(l, l.name == "bug")`), labeled, nil, nil, true, "", 0},
		{"labeled by bracket labels", onCEL(`body.pull_request["labels"].size() == 1`), labeled, nil, nil, true, "", 0},
		{"skip ci on pr applies to cel", onCEL(`true`), func(t *testing.T) *event.Event {
			ev := opened(t)
			ev.HeadCommitMessage = "fix typo [skip ci]"
			return ev
		}, nil, nil, false, "[skip ci]", 0},

		{"does not compile", onCEL(`event ==`), opened, nil, nil, false, "does not compile", 0},
		{"unknown variable", onCEL(`branch == "main"`), opened, nil, nil, false, "undeclared reference to 'branch'", 0},
		{"not a bool at compile time", onCEL(`target_branch`), opened, nil, nil, false, "evaluates to string, not bool", 0},
		{"not a bool at run time", onCEL(`body.action`), opened, nil, nil, false, "evaluates to string, not bool", 0},
		{"runtime error", onCEL(`body.pull_request.title.size() / 0 == 1`), opened, nil, nil, false, "cannot be evaluated: division by zero", 0},
		// Stopped by the cost limit, or by the timeout on a slow machine (-race).
		{"too expensive", onCEL(expensive), opened, nil, nil, false, "cannot be evaluated: operation ", 0},
		{"too long", onCEL(strings.Repeat("true && ", 3000) + "true"), opened, nil, nil, false, "exceeds", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fetches := matchOne(t, tt.ann, tt.ev(t), tt.changed, tt.changes)
			if got.Matched != tt.want || !strings.Contains(got.Reason, tt.reason) || got.Reason == "" {
				t.Errorf("got %+v, want matched=%v with reason containing %q", got, tt.want, tt.reason)
			}
			if testing.Verbose() {
				t.Log(got.Reason)
			}
			if fetches != tt.fetches {
				t.Errorf("changed files fetched %d times, want %d", fetches, tt.fetches)
			}
		})
	}
}

// expensive visits 30^5 (24 million) elements: without a cost limit it runs for many
// seconds.
var expensive = func() string {
	var l []string
	for i := range 30 {
		l = append(l, fmt.Sprint(i))
	}
	list := "[" + strings.Join(l, ",") + "]"
	return fmt.Sprintf(`%[1]s.all(a, %[1]s.all(b, %[1]s.all(c, %[1]s.all(d, %[1]s.all(e, a + b + c + d + e >= 0)))))`, list)
}()

func TestCELExpensiveStopsQuickly(t *testing.T) {
	// The timeout out of the way, so that this shows the cost limit on any machine.
	defer func(d time.Duration) { celTimeout = d }(celTimeout)
	celTimeout = time.Minute
	start := time.Now()
	got, _ := matchOne(t, onCEL(expensive), delivery(t, "pull_request", "opened.payload.json", nil), nil, nil)
	if got.Matched || !strings.Contains(got.Reason, "cost limit") {
		t.Fatalf("got %+v, want stopped by the cost limit", got)
	}
	// Generous for a loaded machine or -race; unbounded, the expression runs for many seconds.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stopped after %v", d)
	}
}

// TestCELInterrupted checks that evaluation watches its context: what the cost model does not
// see (a slow regular expression, a huge body) is stopped by the timeout.
func TestCELInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := delivery(t, "pull_request", "opened.payload.json", nil)
	expr := `[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, a+b+c > 0)))`
	got, err := Match(ctx, onCEL(expr), ev, Options{}, nil)
	if err != nil || got.Matched || !strings.Contains(got.Reason, "interrupted") {
		t.Fatalf("got %+v, %v; want the evaluation interrupted", got, err)
	}
	if got, _ := Match(context.Background(), onCEL(expr), ev, Options{}, nil); !got.Matched {
		t.Fatalf("same expression with a live context: %+v, want matched", got)
	}
}

func TestCELFilesFetchErrorIsAnError(t *testing.T) {
	boom := errors.New("rate limited")
	ev := delivery(t, "pull_request", "opened.payload.json", nil)
	_, err := Match(context.Background(), onCEL(`"**".pathChanged()`), ev, Options{}, func(context.Context) ([]string, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the fetch error, for the trigger to retry", err)
	}
}

func TestCELFilesFetchedOncePerEvent(t *testing.T) {
	defs := []*definition.Definition{
		defn("a", "on-cel-expression", `files.all.size() > 0`),
		defn("b", "on-cel-expression", `"*.go".pathChanged()`),
		defn("c", "on-event", "[pull_request]", "on-target-branch", "[master]", "on-path-change", "[**/*.go]"),
	}
	calls := 0
	selected, _, err := Select(context.Background(), defs, delivery(t, "pull_request", "opened.payload.json", nil), Options{},
		func(context.Context) ([]string, error) { calls++; return []string{"main.go"}, nil })
	if err != nil || len(selected) != 3 || calls != 1 {
		t.Fatalf("selected %d, fetched %d times, err %v; want 3 selected with one fetch", len(selected), calls, err)
	}
}

func TestCELCompiledOncePerExpression(t *testing.T) {
	expr := `event == "pull_request" && target_branch == "compiled-once"`
	first := compileCEL(expr)
	if first.err != nil {
		t.Fatal(first.err)
	}
	if compileCEL(expr) != first {
		t.Error("the same expression was compiled twice")
	}
	c := newBoundedCache[int](3)
	for i := range 10 {
		c.get(fmt.Sprint(i), func(string) int { return i })
	}
	if c.len() != 3 {
		t.Errorf("cache holds %d entries, want its bound 3", c.len())
	}
	if v := c.get("9", func(string) int { return -1 }); v != 9 {
		t.Errorf("most recent entry evicted: got %d", v)
	}
}

func TestCompileCEL(t *testing.T) {
	if err := CompileCEL(`event == "push" && "docs/**".pathChanged()`); err != nil {
		t.Errorf("valid expression: %v", err)
	}
	// The last: the hidden variable of pathChanged cannot be written in an expression.
	for _, bad := range []string{`event ==`, `1 + 1`, `nope`, `"x".pathChanged(1)`, `size(@changed_paths) > 0`} {
		if CompileCEL(bad) == nil {
			t.Errorf("CompileCEL(%q) = nil, want an error", bad)
		}
	}
}

// TestCELConcurrentEvents matches events in parallel, as the trigger's workers do, through
// the shared program cache (run with -race).
func TestCELConcurrentEvents(t *testing.T) {
	exprs := []string{`event == "pull_request" && "*.go".pathChanged()`, `body.pull_request.number == 2`, `headers['x-github-event'] == "pull_request"`}
	var defs []*definition.Definition
	for i, e := range exprs {
		defs = append(defs, defn(fmt.Sprint(i), "on-cel-expression", e))
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			ev := delivery(t, "pull_request", "opened.payload.json", nil)
			var err error
			for range 20 {
				selected, _, e := Select(context.Background(), defs, ev, Options{}, func(context.Context) ([]string, error) { return []string{"a.go"}, nil })
				if e == nil && len(selected) != len(defs) {
					e = fmt.Errorf("selected %d of %d", len(selected), len(defs))
				}
				if e != nil {
					err = e
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
