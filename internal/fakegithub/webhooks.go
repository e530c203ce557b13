package fakegithub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// Delivery is one webhook the fake sent.
type Delivery struct {
	ID           string // X-GitHub-Delivery; a redelivery keeps the original's
	Event        string // X-GitHub-Event
	Action       string
	URL          string
	Body         []byte
	Signature    string // X-Hub-Signature-256
	Redelivery   bool
	Status       int // the receiver's answer; 0 when it could not be reached
	ResponseBody string
	Time         time.Time
	secret       string
}

// WebhookOption adjusts a webhook before it is sent.
type WebhookOption func(*webhookSettings)

type webhookSettings struct {
	sender string
	label  string
	edit   func(map[string]any)
}

// WithSender sets sender.login (the pull request author, pusher or
// commenter by default).
func WithSender(login string) WebhookOption { return func(w *webhookSettings) { w.sender = login } }

// WithLabel names the label of a labeled or unlabeled event (the pull
// request's last label by default).
func WithLabel(name string) WebhookOption { return func(w *webhookSettings) { w.label = name } }

// WithPayloadEdit lets a test change the payload map last, e.g. to send a
// malformed event on purpose.
func WithPayloadEdit(edit func(map[string]any)) WebhookOption {
	return func(w *webhookSettings) { w.edit = edit }
}

// fixtureDir is where the payloads live: Options.FixtureDir, or the
// repository's testdata found relative to this source file.
func (s *Server) fixtureDir() string {
	if s.opts.FixtureDir != "" {
		return s.opts.FixtureDir
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "github-webhooks")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "github-webhooks")
}

// LoadFixture reads <event>/<name>.payload.json as a generic map.
func (s *Server) LoadFixture(event, name string) (map[string]any, error) {
	file := name + ".payload.json"
	if name == "" {
		file = "payload.json"
	}
	b, err := os.ReadFile(filepath.Join(s.fixtureDir(), event, file))
	if err != nil {
		return nil, fmt.Errorf("fakegithub: no webhook payload for %s %s: %w", event, name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("fakegithub: payload %s/%s: %w", event, file, err)
	}
	return m, nil
}

// overlay sets src's keys on the object at m[key], keeping the fixture's
// other fields so the payload stays complete.
func overlay(m map[string]any, key string, src obj) {
	dst, _ := m[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		dst[k] = v
	}
	m[key] = dst
}

// patchCommon makes the parts every event shares reflect the fake.
func (s *Server) patchCommon(payload map[string]any, repo *Repo, sender string) {
	overlay(payload, "repository", repo.repoJSON())
	overlay(payload, "sender", userJSON(s.URL(), sender))
	delete(payload, "organization")
	if app := s.opts.App; app != nil {
		payload["installation"] = obj{"id": app.InstallationID, "node_id": fmt.Sprintf("I_%d", app.InstallationID)}
	} else {
		delete(payload, "installation")
	}
}

func (s *Server) settings(opts []WebhookOption) webhookSettings {
	var w webhookSettings
	for _, o := range opts {
		o(&w)
	}
	return w
}

// SendPullRequest sends a pull_request event with action (opened,
// synchronize, reopened, closed, labeled, ready_for_review, ...) for the
// pull request's current state.
func (s *Server) SendPullRequest(ctx context.Context, url, secret, repoName string, number int, action string, opts ...WebhookOption) (Delivery, error) {
	payload, err := s.PullRequestPayload(repoName, number, action, opts...)
	if err != nil {
		return Delivery{}, err
	}
	return s.deliver(ctx, url, secret, "pull_request", action, payload, webhookSettings{})
}

// PullRequestPayload builds the payload SendPullRequest sends (options and edits applied),
// without sending it: a benchmark builds its webhooks first and then sends them with Send,
// so that it times the receiver and not the making of payloads.
func (s *Server) PullRequestPayload(repoName string, number int, action string, opts ...WebhookOption) (map[string]any, error) {
	repo := s.Repo(repoName)
	if repo == nil {
		return nil, errNoRepo(repoName)
	}
	prJSON, pr, ok := s.pullSnapshot(repo, number)
	if !ok {
		return nil, fmt.Errorf("fakegithub: %s has no pull request %d", repoName, number)
	}
	payload, err := s.LoadFixture("pull_request", action)
	if err != nil {
		return nil, err
	}
	set := s.settings(opts)
	if set.sender == "" {
		set.sender = pr.Author
	}
	payload["action"] = action
	payload["number"] = number
	overlay(payload, "pull_request", prJSON)
	if base, err := repo.BranchSHA(pr.BaseBranch); err == nil {
		if mb, err := repo.mergeBase(base, pr.HeadSHA); err == nil {
			if changes, err := repo.diff(mb, pr.HeadSHA); err == nil {
				_, adds, dels := repo.filesJSON(changes, pr.HeadSHA)
				commits, _ := repo.commitsBetween(mb, pr.HeadSHA, 250)
				overlay(payload, "pull_request", obj{"changed_files": len(changes), "additions": adds,
					"deletions": dels, "commits": len(commits)})
			}
		}
	}
	if action == "synchronize" {
		payload["before"], payload["after"] = pr.PreviousSHA, pr.HeadSHA
	}
	if action == "labeled" || action == "unlabeled" {
		name := set.label
		if name == "" && len(pr.Labels) > 0 {
			name = pr.Labels[len(pr.Labels)-1]
		}
		s.mu.Lock()
		labels := s.labelsJSONLocked(repo, []string{name})
		s.mu.Unlock()
		payload["label"] = labels[0]
	}
	s.patchCommon(payload, repo, set.sender)
	if set.edit != nil {
		set.edit(payload)
	}
	return payload, nil
}

// SendPush sends a push event for branch moving from before to its current
// tip; before "" means the tip's first parent, zeroSHA a new branch.
func (s *Server) SendPush(ctx context.Context, url, secret, repoName, branch, before string, opts ...WebhookOption) (Delivery, error) {
	repo := s.Repo(repoName)
	if repo == nil {
		return Delivery{}, errNoRepo(repoName)
	}
	after, err := repo.BranchSHA(branch)
	if err != nil {
		return Delivery{}, fmt.Errorf("fakegithub: branch %s: %w", branch, err)
	}
	if before == "" {
		before = zeroSHA
		if info, err := repo.commitInfo(after); err == nil && len(info.Parents) > 0 {
			before = info.Parents[0]
		}
	}
	payload, err := s.LoadFixture("push", "")
	if err != nil {
		return Delivery{}, err
	}
	set := s.settings(opts)
	if set.sender == "" {
		set.sender = repo.Owner
	}
	shas, err := repo.commitsBetween(before, after, 20)
	if err != nil {
		return Delivery{}, err
	}
	commits := make([]obj, 0, len(shas))
	for _, sha := range shas {
		c, err := repo.pushCommitJSON(sha)
		if err != nil {
			return Delivery{}, err
		}
		commits = append(commits, c)
	}
	var head any
	if len(commits) > 0 {
		head = commits[len(commits)-1]
	}
	payload["ref"] = "refs/heads/" + branch
	payload["before"], payload["after"] = before, after
	payload["created"], payload["deleted"], payload["forced"] = before == zeroSHA, false, false
	payload["base_ref"] = nil
	payload["compare"] = fmt.Sprintf("%s/compare/%.12s...%.12s", repo.HTMLURL(), before, after)
	payload["commits"], payload["head_commit"] = commits, head
	payload["pusher"] = obj{"name": set.sender, "email": set.sender + "@users.noreply.rigger.dev"}
	s.patchCommon(payload, repo, set.sender)
	// Push payloads carry the repository's owner with name and email too.
	overlay(payload["repository"].(map[string]any), "owner", obj{"name": repo.Owner})
	return s.deliver(ctx, url, secret, "push", "", payload, set)
}

// pushCommitJSON is a commit as push payloads list it.
func (repo *Repo) pushCommitJSON(sha string) (obj, error) {
	info, err := repo.commitInfo(sha)
	if err != nil {
		return nil, err
	}
	parent := ""
	if len(info.Parents) > 0 {
		parent = info.Parents[0]
	}
	changes, err := repo.diff(parent, sha)
	if err != nil {
		return nil, err
	}
	added, removed, modified := []string{}, []string{}, []string{}
	for _, c := range changes {
		switch c.Status {
		case "added":
			added = append(added, c.Filename)
		case "removed":
			removed = append(removed, c.Filename)
		case "renamed":
			removed, added = append(removed, c.PreviousFilename), append(added, c.Filename)
		default:
			modified = append(modified, c.Filename)
		}
	}
	person := func(name, email string) obj { return obj{"name": name, "email": email, "username": nil} }
	return obj{
		"id": sha, "tree_id": info.Tree, "distinct": true, "message": info.Message,
		"timestamp": info.CommitterDate.Format(time.RFC3339), "url": repo.HTMLURL() + "/commit/" + sha,
		"author":    person(info.AuthorName, info.AuthorEmail),
		"committer": person(info.CommitterName, info.CommitterEmail),
		"added":     added, "removed": removed, "modified": modified,
	}, nil
}

// SendIssueComment makes login comment body on pull request number and
// sends the issue_comment "created" event for it.
func (s *Server) SendIssueComment(ctx context.Context, url, secret, repoName string, number int, login, body string, opts ...WebhookOption) (Delivery, error) {
	repo := s.Repo(repoName)
	if repo == nil {
		return Delivery{}, errNoRepo(repoName)
	}
	c, err := s.AddComment(repoName, number, login, body)
	if err != nil {
		return Delivery{}, err
	}
	prJSON, pr, _ := s.pullSnapshot(repo, number)
	payload, err := s.LoadFixture("issue_comment", "created")
	if err != nil {
		return Delivery{}, err
	}
	set := s.settings(opts)
	if set.sender == "" {
		set.sender = login
	}
	payload["action"] = "created"
	overlay(payload, "issue", obj{
		"url": prJSON["issue_url"], "html_url": prJSON["html_url"], "number": number, "title": pr.Title,
		"body": pr.Body, "state": pr.State, "user": prJSON["user"], "labels": prJSON["labels"],
		"draft": pr.Draft, "author_association": prJSON["author_association"],
		"comments_url": prJSON["comments_url"], "repository_url": repo.APIURL(),
		"id": prJSON["id"], "node_id": prJSON["node_id"],
		"comments":   len(s.Comments(repoName, number)),
		"created_at": prJSON["created_at"], "updated_at": prJSON["updated_at"], "closed_at": prJSON["closed_at"],
		"pull_request": obj{
			"url": prJSON["url"], "html_url": prJSON["html_url"], "diff_url": prJSON["diff_url"],
			"patch_url": prJSON["patch_url"], "merged_at": prJSON["merged_at"],
		},
	})
	overlay(payload, "comment", s.commentJSON(repo, &c))
	s.patchCommon(payload, repo, set.sender)
	return s.deliver(ctx, url, secret, "issue_comment", "created", payload, set)
}

// Send posts any event with a payload the test built (e.g. from
// LoadFixture), signed like the others.
func (s *Server) Send(ctx context.Context, url, secret, event string, payload map[string]any) (Delivery, error) {
	action, _ := payload["action"].(string)
	return s.deliver(ctx, url, secret, event, action, payload, webhookSettings{})
}

// SendBody sends a payload already encoded as JSON, signed like any other: a benchmark
// encodes its webhooks before the clock starts, as GitHub does on its own machines.
func (s *Server) SendBody(ctx context.Context, url, secret, event, action string, body []byte) (Delivery, error) {
	return s.post(ctx, &Delivery{ID: newGUID(), Event: event, Action: action, URL: url, Body: body, secret: secret})
}

func (s *Server) deliver(ctx context.Context, url, secret, event, action string, payload map[string]any, set webhookSettings) (Delivery, error) {
	if set.edit != nil {
		set.edit(payload)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return Delivery{}, err
	}
	d := &Delivery{ID: newGUID(), Event: event, Action: action, URL: url, Body: body, secret: secret}
	return s.post(ctx, d)
}

// Redeliver sends delivery id again with the same body and delivery ID, as
// GitHub's "Redeliver" button does.
func (s *Server) Redeliver(ctx context.Context, id string) (Delivery, error) {
	return s.RedeliverTo(ctx, id, "")
}

// RedeliverTo sends delivery id again, as Redeliver does, to url (the original's when
// empty): the same delivery reaching a second replica behind another address.
func (s *Server) RedeliverTo(ctx context.Context, id, url string) (Delivery, error) {
	s.mu.Lock()
	orig := s.deliveries[id]
	s.mu.Unlock()
	if orig == nil {
		return Delivery{}, fmt.Errorf("fakegithub: no delivery %s", id)
	}
	if url == "" {
		url = orig.URL
	}
	d := &Delivery{ID: orig.ID, Event: orig.Event, Action: orig.Action, URL: url, Body: orig.Body,
		secret: orig.secret, Redelivery: true}
	return s.post(ctx, d)
}

// Deliveries lists the webhooks sent, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, 0, len(s.deliveryLog))
	for _, d := range s.deliveryLog {
		out = append(out, *d)
	}
	return out
}

// Sign is the X-Hub-Signature-256 value GitHub sends for body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func signSHA1(secret string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *Server) post(ctx context.Context, d *Delivery) (Delivery, error) {
	d.Time = time.Now()
	d.Signature = Sign(d.secret, d.Body)
	s.mu.Lock()
	if s.deliveries[d.ID] == nil {
		s.deliveries[d.ID] = d
	}
	s.deliveryLog = append(s.deliveryLog, d)
	s.mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return *d, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/rigger")
	h.Set("X-GitHub-Event", d.Event)
	h.Set("X-GitHub-Delivery", d.ID)
	h.Set("X-GitHub-Hook-ID", "1")
	h.Set("X-Hub-Signature-256", d.Signature)
	h.Set("X-Hub-Signature", signSHA1(d.secret, d.Body))
	if app := s.opts.App; app != nil {
		h.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
		h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(app.ID, 10))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return *d, fmt.Errorf("fakegithub: deliver %s %s: %w", d.Event, d.ID, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	s.mu.Lock()
	d.Status, d.ResponseBody = resp.StatusCode, string(rb)
	out := *d
	s.mu.Unlock()
	return out, nil
}

// newGUID is a random version-4 UUID, the form of X-GitHub-Delivery.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// SendCheckRunRerequest sends what GitHub sends when login clicks "Re-run" on check run id:
// check_run "rerequested", with the check run as it stands. As on GitHub, the payload lists
// the check run's pull requests only when they come from the repository itself; a fork's
// is not listed.
func (s *Server) SendCheckRunRerequest(ctx context.Context, url, secret, repoName string, id int64, login string, opts ...WebhookOption) (Delivery, error) {
	repo := s.Repo(repoName)
	if repo == nil {
		return Delivery{}, errNoRepo(repoName)
	}
	var cr *CheckRun
	s.mu.Lock()
	for _, c := range s.state[repo].checkRuns {
		if c.ID == id {
			cr = c
		}
	}
	var crJSON obj
	if cr != nil {
		crJSON = s.checkRunJSON(repo, cr)
	}
	s.mu.Unlock()
	if cr == nil {
		return Delivery{}, fmt.Errorf("fakegithub: %s has no check run %d", repoName, id)
	}
	payload, err := s.LoadFixture("check_run", "rerequested")
	if err != nil {
		return Delivery{}, err
	}
	payload["action"] = "rerequested"
	crJSON["pull_requests"] = []any{}
	payload["check_run"] = crJSON
	set := s.settings(opts)
	if set.sender == "" {
		set.sender = login
	}
	s.patchCommon(payload, repo, set.sender)
	return s.deliver(ctx, url, secret, "check_run", "rerequested", payload, set)
}
