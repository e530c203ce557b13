package installtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rigger-ci/rigger/pkg/apis/rigger/v1alpha1"
)

// A misspelt value fails the install with its name, as a misspelt key in rigger.yaml fails
// Rigger's start, instead of silently taking the default.
func TestSchemaRefusesUnknownValues(t *testing.T) {
	for name, c := range map[string]struct {
		vals map[string]any
		want string
	}{
		"top level":     {map[string]any{"replicas": 2}, "replicas"},
		"config key":    {map[string]any{"config": map[string]any{"logLevl": "debug"}}, "logLevl"},
		"bad enum":      {map[string]any{"config": map[string]any{"pullRequestDrafts": "never"}}, "pullRequestDrafts"},
		"repository":    {map[string]any{"config": map[string]any{"repositories": []any{map[string]any{"url": "https://github.com/o/r", "namespace": "n", "concurency": 1}}}}, "concurency"},
		"no namespace":  {map[string]any{"config": map[string]any{"repositories": []any{map[string]any{"url": "https://github.com/o/r"}}}}, "namespace"},
		"bad trust":     {map[string]any{"config": map[string]any{"repositories": []any{map[string]any{"url": "https://github.com/o/r", "namespace": "n", "trust": map[string]any{"definitionsFrom": "fork"}}}}}, "definitionsFrom"},
		"github typo":   {map[string]any{"github": map[string]any{"appId": 1}}, "appId"},
		"digest format": {map[string]any{"image": map[string]any{"digest": "latest"}}, "digest"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := renderErr(c.vals)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("render: %v, want a schema error naming %s", err, c.want)
			}
		})
	}
}

// config.repositories takes exactly a Repository's spec plus its namespace: the schema's list
// of keys follows the Go type, so a field added to RepositorySpec is also accepted here.
func TestSchemaRepositoryIsTheSpec(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]struct {
			Properties map[string]struct {
				Items struct {
					Properties map[string]any `json:"properties"`
				} `json:"items"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	var inSchema []string
	for k := range s.Properties["config"].Properties["repositories"].Items.Properties {
		inSchema = append(inSchema, k)
	}
	sort.Strings(inSchema)
	want := []string{"namespace"}
	for f := range reflect.TypeFor[v1alpha1.RepositorySpec]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		want = append(want, name)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(inSchema, want) {
		t.Errorf("values.schema.json's repository keys %v, RepositorySpec's and namespace %v", inSchema, want)
	}
}
