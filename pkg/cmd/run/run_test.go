package run_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rigger-ci/rigger/internal/testimage"
	"github.com/rigger-ci/rigger/pkg/executor/local"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"sigs.k8s.io/yaml"
)

const (
	onPRToMain = "[pull_request]"
	main       = "[main]"
)

// ciRepo is a repository with a passing and a failing pipeline for pull requests to main,
// and a push-only release pipeline.
func ciRepo(t *testing.T) string {
	return gitRepo(t, map[string]string{
		"README.md":          "hello\n",
		".tekton/pass.yaml":  pipelineRun("unit", onPRToMain, main, "", `echo "testing $(params.revision)"`),
		".tekton/fail.yaml":  pipelineRun("lint-code", onPRToMain, main, "", "echo 'boom: lint found 3 problems'\nexit 3"),
		".tekton/push.yaml":  pipelineRun("release", "[push]", "[release-*]", "", "echo releasing"),
		".tekton/notes.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
	})
}

func TestRunByAnnotationsShowsProgressSummaryAndFails(t *testing.T) {
	repo := ciRepo(t)
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir())
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (one run fails)\n%s", res.code, res)
	}
	for _, want := range []string{
		"steps run as host processes (isolation process)",
		"unit: started (run unit-",
		"unit/main: started",
		"unit/main/script: started",
		"unit/main/script: succeeded in ",
		"lint-code/main/script: failed with exit code 3 in ",
		"lint-code/main: failed in ",
		"lint-code: failed in ",
		"unit: succeeded in ",
	} {
		if !strings.Contains(res.out, want) {
			t.Errorf("output lacks %q\n%s", want, res)
		}
	}
	for _, row := range []string{`unit\s+main\s+succeeded\s+\d+\.\ds`, `lint-code\s+main\s+failed\s+\d+\.\ds`, `unit\s+\(pipeline\)\s+succeeded`} {
		if !regexp.MustCompile(`(?m)^` + row).MatchString(res.out) {
			t.Errorf("summary lacks a row matching %s\n%s", row, res)
		}
	}
	if !strings.Contains(res.out, "first failure: task main, step script") || !strings.Contains(res.out, "boom: lint found 3 problems") {
		t.Errorf("no failing step and log tail in the summary\n%s", res)
	}
	if strings.Contains(res.out, "release") {
		t.Errorf("the push-only release pipeline ran for a pull request\n%s", res)
	}
	if !strings.Contains(res.err.Error(), "1 of 2 pipeline runs failed") {
		t.Errorf("error %q", res.err)
	}
}

func TestRunExplicitFileIgnoresAnnotations(t *testing.T) {
	repo := ciRepo(t)
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir(), "--logs", ".tekton/push.yaml")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", res.code, res)
	}
	if !strings.Contains(res.out, "release: succeeded") || strings.Contains(res.out, "unit") || strings.Contains(res.out, "lint-code") {
		t.Errorf("want only the release pipeline to run\n%s", res)
	}
	if !strings.Contains(res.out, "release/main/script | releasing") {
		t.Errorf("--logs did not stream the step's output with its prefix\n%s", res)
	}

	// Paths are relative to -C, as with git -C; a file outside .tekton is refused.
	if res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir(), "README.md"); res.code != 2 {
		t.Errorf("README.md: exit %d, want 2\n%s", res.code, res)
	}
	if res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir(), ".tekton/nope.yaml"); res.code != 2 || !strings.Contains(res.err.Error(), "no such definition file") {
		t.Errorf("missing file: exit %d\n%s", res.code, res)
	}
}

func TestRunPushEventSelectsByTargetBranch(t *testing.T) {
	repo := ciRepo(t)
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir(), "--event", "push", "--target-branch", "release-1")
	if res.code != 0 || !strings.Contains(res.out, "release: succeeded") || strings.Contains(res.out, "unit:") {
		t.Fatalf("exit %d; want only release to run and pass\n%s", res.code, res)
	}
}

func TestRunNothingMatchesSaysWhyAndSucceeds(t *testing.T) {
	repo := ciRepo(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", dataDir, "--target-branch", "dev")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", res.code, res)
	}
	for _, want := range []string{
		"Nothing to run for a pull_request to dev.",
		`unit (.tekton/pass.yaml:1): pipelinesascode.tekton.dev/on-target-branch "[main]" does not match refs/heads/dev`,
		`release (.tekton/push.yaml:1): pipelinesascode.tekton.dev/on-event "[push]" does not list pull_request`,
	} {
		if !strings.Contains(res.out, want) {
			t.Errorf("output lacks %q\n%s", want, res)
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("the data dir was created although nothing ran (%v)", err)
	}
}

func TestRunChangedFilesFromGit(t *testing.T) {
	docs := `    pipelinesascode.tekton.dev/on-path-change: "[docs/**]"` + "\n"
	repo := gitRepo(t, map[string]string{
		".tekton/docs.yaml": pipelineRun("docs", onPRToMain, main, docs, "echo docs"),
	})
	git(t, repo, "checkout", "--quiet", "-b", "feature")
	res := rigger(t, context.Background(), "-C", repo, "--dry-run")
	if res.code != 0 || !strings.Contains(res.out, "no changed file matches") {
		t.Fatalf("nothing changed: exit %d, want the docs pipeline skipped\n%s", res.code, res)
	}
	writeFiles(t, repo, map[string]string{"docs/guide.md": "# guide\n"})
	git(t, repo, "add", ".")
	git(t, repo, "commit", "--quiet", "-m", "docs")
	res = rigger(t, context.Background(), "-C", repo, "--dry-run")
	if res.code != 0 || !strings.Contains(res.out, "kind: PipelineRun") || !strings.Contains(res.out, "name: docs-") {
		t.Fatalf("docs changed on the branch: exit %d, want the docs pipeline\n%s", res.code, res)
	}
	// --changed-files overrides git.
	res = rigger(t, context.Background(), "-C", repo, "--dry-run", "--changed-files", "main.go")
	if res.code != 0 || !strings.Contains(res.out, "no changed file matches") {
		t.Fatalf("--changed-files main.go: exit %d, want the docs pipeline skipped\n%s", res.code, res)
	}
}

func TestDryRunPrintsRenderedPipelineRuns(t *testing.T) {
	repo := ciRepo(t)
	sha := git(t, repo, "rev-parse", "HEAD")
	dataDir := filepath.Join(t.TempDir(), "data")
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", dataDir, "--dry-run", "-o", "yaml", "--param", "extra=1")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res)
	}
	if strings.Contains(res.out, "{{") {
		t.Errorf("a template variable was left unfilled\n%s", res.out)
	}
	var names []string
	for _, doc := range strings.Split(res.out, "\n---\n") {
		var pr v1.PipelineRun
		if err := yaml.UnmarshalStrict([]byte(doc), &pr); err != nil {
			t.Fatalf("not a PipelineRun: %v\n%s", err, doc)
		}
		names = append(names, pr.Name)
		def := pr.Labels["rigger.dev/pipeline"]
		if pr.Kind != "PipelineRun" || pr.APIVersion != "tekton.dev/v1" || !strings.HasPrefix(pr.Name, def+"-") {
			t.Errorf("PipelineRun %s/%s named %q for definition %q", pr.APIVersion, pr.Kind, pr.Name, def)
		}
		if pr.Labels["rigger.dev/sha"] != sha || pr.Labels["rigger.dev/event"] != "pull_request" || pr.Annotations["rigger.dev/trigger"] != "local" {
			t.Errorf("labels %v annotations %v", pr.Labels, pr.Annotations)
		}
		params := map[string]string{}
		for _, p := range pr.Spec.Params {
			params[p.Name] = p.Value.StringVal
		}
		if params["revision"] != sha || params["extra"] != "1" {
			t.Errorf("params %v, want revision %s and extra 1", params, sha)
		}
	}
	if strings.Join(names, ",") == "" || len(names) != 2 {
		t.Errorf("PipelineRuns %v, want unit and lint-code", names)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("--dry-run touched the data dir (%v)", err)
	}

	res = rigger(t, context.Background(), "-C", repo, "--dry-run", "-o", "json", ".tekton/pass.yaml")
	var pr v1.PipelineRun
	if err := json.Unmarshal([]byte(res.out), &pr); err != nil || res.code != 0 || pr.Spec.Params[0].Value.StringVal != sha {
		t.Errorf("-o json: exit %d, %v, params %v\n%s", res.code, err, pr.Spec.Params, res)
	}
}

func TestRunWithoutGit(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".tekton/pass.yaml": pipelineRun("unit", onPRToMain, main, "", `echo "at $(params.revision)"`),
	})
	sub := filepath.Join(dir, "sub")
	writeFiles(t, sub, map[string]string{"x.txt": "x"})
	res := rigger(t, context.Background(), "-C", sub, "--data-dir", t.TempDir(), "--logs")
	if res.code != 0 || !strings.Contains(res.out, "unit/main/script | at local") {
		t.Fatalf("exit %d, want a green run with revision local, found from a subdirectory\n%s", res.code, res)
	}
}

func TestRunAgainIsANewRun(t *testing.T) {
	repo := ciRepo(t)
	dataDir := t.TempDir()
	runName := regexp.MustCompile(`unit: started \(run (\S+)\)`)
	var seen []string
	for i := 0; i < 2; i++ {
		res := rigger(t, context.Background(), "-C", repo, "--data-dir", dataDir, ".tekton/pass.yaml")
		m := runName.FindStringSubmatch(res.out)
		if res.code != 0 || m == nil {
			t.Fatalf("run %d: exit %d\n%s", i, res.code, res)
		}
		seen = append(seen, m[1])
	}
	if seen[0] == seen[1] {
		t.Errorf("the second run of the same commit reused run %s instead of running again", seen[0])
	}
}

func TestMissingRequiredParamStartsNothing(t *testing.T) {
	needs := `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: needs-go
spec:
  pipelineSpec:
    params:
      - name: go_version
    tasks:
      - name: show
        params:
          - {name: v, value: $(params.go_version)}
        taskSpec:
          params:
            - name: v
          steps:
            - name: print
              image: busybox
              script: echo "go $(params.v)"
`
	repo := gitRepo(t, map[string]string{".tekton/needs.yaml": needs})
	dataDir := filepath.Join(t.TempDir(), "data")
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", dataDir, ".tekton/needs.yaml")
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.code, res)
	}
	if !strings.Contains(res.errOut, ".tekton/needs.yaml:1: ") || !strings.Contains(res.errOut, "go_version") || !strings.Contains(res.err.Error(), "nothing was started") {
		t.Errorf("want a file:line error naming the param\n%s", res)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("the data dir exists after a validation error: something started (%v)", err)
	}

	res = rigger(t, context.Background(), "-C", repo, "--data-dir", dataDir, "--logs", "--param", "go_version=1.26", ".tekton/needs.yaml")
	if res.code != 0 || !strings.Contains(res.out, "needs-go/show/print | go 1.26") {
		t.Errorf("with --param: exit %d\n%s", res.code, res)
	}
}

func TestInvalidDefinitionsStartNothing(t *testing.T) {
	cycle := `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: cycle
spec:
  pipelineSpec:
    tasks:
      - name: a
        runAfter: [b]
        taskSpec: {steps: [{image: busybox, script: "true"}]}
      - name: b
        runAfter: [a]
        taskSpec: {steps: [{image: busybox, script: "true"}]}
`
	unknown := `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: unknown
spec:
  pipelineSpec:
    tasks:
      - name: a
        runAfter: [nowhere]
        taskSpec: {steps: [{image: busybox, script: "true"}]}
`
	repo := gitRepo(t, map[string]string{
		".tekton/cycle.yaml":   cycle,
		".tekton/unknown.yaml": unknown,
		".tekton/broken.yaml":  "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: x\n",
		".tekton/pass.yaml":    pipelineRun("unit", onPRToMain, main, "", "true"),
		".tekton/remote.yaml":  "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: remote}\nspec: {pipelineRef: {name: in-cluster}}\n",
	})
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{{".tekton/cycle.yaml"}, {".tekton/unknown.yaml"}, {".tekton/broken.yaml"}, {".tekton/remote.yaml"}, nil} {
		res := rigger(t, context.Background(), append([]string{"-C", repo, "--data-dir", dataDir}, args...)...)
		if res.code != 2 || !regexp.MustCompile(`(?m)^\.tekton/\w+\.yaml:\d+: `).MatchString(res.errOut) {
			t.Errorf("%v: exit %d, want 2 with file:line errors\n%s", args, res.code, res)
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("something started (%v)", err)
	}
	// A broken file that was not asked for only warns.
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", dataDir, ".tekton/pass.yaml")
	if res.code != 0 || !strings.Contains(res.errOut, "warning: .tekton/broken.yaml:") {
		t.Errorf("pass.yaml alone: exit %d, want 0 and a warning about the others\n%s", res.code, res)
	}
}

func TestUsageErrors(t *testing.T) {
	repo := ciRepo(t)
	empty := t.TempDir()
	for name, args := range map[string][]string{
		"bad event":       {"--event", "issue_comment"},
		"output no dry":   {"-o", "yaml"},
		"bad output":      {"--dry-run", "-o", "xml"},
		"bad isolation":   {"--isolation", "vm"},
		"bad param":       {"--param", "novalue"},
		"no tekton dir":   {"-C", empty},
		"no such dir":     {"-C", filepath.Join(empty, "missing")},
		"changed w/ file": {"--changed-files", "a", ".tekton/pass.yaml"},
	} {
		res := rigger(t, context.Background(), append([]string{"-C", repo, "--data-dir", t.TempDir()}, args...)...)
		if res.code != 2 || res.err == nil || res.err.Error() == "" {
			t.Errorf("%s: exit %d, want 2 with a message\n%s", name, res.code, res)
		}
	}
}

func TestContainerIsolationNeedsAnEngine(t *testing.T) {
	repo := ciRepo(t)
	t.Setenv("PATH", t.TempDir())
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir(), "--isolation", "container")
	if res.code != 2 || !strings.Contains(res.err.Error(), "podman: not found") || !strings.Contains(res.err.Error(), "docker: not found") {
		t.Errorf("exit %d, want 2 naming podman and docker\n%s", res.code, res)
	}
}

func TestRunInContainers(t *testing.T) {
	rt, err := local.DetectContainerRuntime(context.Background(), os.Getenv(testimage.RuntimeEnv))
	testimage.NeedRuntime(t, err)
	image := testimage.Busybox(t, rt.Path)
	pr := strings.ReplaceAll(pipelineRun("unit", onPRToMain, main, "",
		"test -e /etc/os-release && echo 'on the host' || echo \"in $(params.revision)'s container\""), "image: busybox", "image: "+image)
	repo := gitRepo(t, map[string]string{".tekton/unit.yaml": pr})
	res := rigger(t, context.Background(), "-C", repo, "--data-dir", t.TempDir(), "--logs",
		"--isolation", "container", "--container-runtime", rt.Path)
	if res.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", res.code, res)
	}
	rev := strings.TrimSpace(git(t, repo, "rev-parse", "HEAD"))
	for _, want := range []string{"steps run in their images with " + rt.Name + " (isolation container)", "unit/main/script | in " + rev + "'s container"} {
		if !strings.Contains(res.out, want) {
			t.Errorf("output lacks %q\n%s", want, res)
		}
	}
}

func TestCancelStopsTheRun(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	repo := gitRepo(t, map[string]string{
		".tekton/slow.yaml": pipelineRun("slow", onPRToMain, main, "", "touch "+marker+"\nsleep 60"),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			if _, err := os.Stat(marker); err == nil {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	res := rigger(t, ctx, "-C", repo, "--data-dir", t.TempDir())
	if res.code != 1 || res.err.Error() != "cancelled" {
		t.Fatalf("exit %d, want 1 and cancelled\n%s", res.code, res)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("cancelling took %s: the step was not killed", took)
	}
	if !regexp.MustCompile(`(?m)^slow\s+\(pipeline\)\s+cancelled`).MatchString(res.out) {
		t.Errorf("summary does not show the run cancelled\n%s", res)
	}
}

// --comment shows what a comment on the pull request would run: /test names run whatever
// their annotations say, with params; a plain comment runs the on-comment definitions.
func TestRunComment(t *testing.T) {
	deploy := `    pipelinesascode.tekton.dev/on-comment: "^/deploy"` + "\n"
	repo := gitRepo(t, map[string]string{
		".tekton/pr.yaml":     pipelineRun("unit", "[pull_request]", "[main]", "", "echo unit"),
		".tekton/push.yaml":   pipelineRun("release", "[push]", "[main]", "", "echo release"),
		".tekton/deploy.yaml": pipelineRun("deploy", "[pull_request]", "[main]", deploy, "echo 'asked: {{ trigger_comment }}'"),
	})
	ctx := context.Background()
	res := rigger(t, ctx, "-C", repo, "--data-dir", t.TempDir(), "--comment", "/test release")
	if res.code != 0 || !strings.Contains(res.out, "release: succeeded") || strings.Contains(res.out, "unit:") {
		t.Fatalf("/test release: exit %d\n%s", res.code, res)
	}
	// /test matches as the pull request: deploy's on-event lists pull_request too.
	res = rigger(t, ctx, "-C", repo, "--data-dir", t.TempDir(), "--comment", "/test")
	if res.code != 0 || !strings.Contains(res.out, "unit: succeeded") || strings.Contains(res.out, "release:") {
		t.Fatalf("/test: exit %d\n%s", res.code, res)
	}
	res = rigger(t, ctx, "-C", repo, "--data-dir", t.TempDir(), "--logs", "--comment", "/deploy to staging")
	if res.code != 0 || !strings.Contains(res.out, "deploy: succeeded") || !strings.Contains(res.out, "asked: /deploy to staging") || strings.Contains(res.out, "unit:") {
		t.Fatalf("/deploy: exit %d\n%s", res.code, res)
	}
	for _, bad := range []string{"/test nosuch", "/cancel", "/test\n/retest"} {
		if res := rigger(t, ctx, "-C", repo, "--data-dir", t.TempDir(), "--comment", bad); res.code != 2 {
			t.Errorf("--comment %q: exit %d, want 2\n%s", bad, res.code, res)
		}
	}
}
