package v1alpha1

import (
	"bytes"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	crdPath      = "../../../../config/crd/rigger.dev_repositories.yaml"
	chartCRDPath = "../../../../charts/rigger/crds/rigger.dev_repositories.yaml"
)

// The chart installs the same CRD as config/: make generate copies one into the other.
func TestChartCRDIsTheGeneratedOne(t *testing.T) {
	a, err := os.ReadFile(crdPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(chartCRDPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("%s differs from %s: run make generate", chartCRDPath, crdPath)
	}
}

// Every JSON field of the Go types is in the committed CRD's schema and the other way round,
// so a field added without `make generate` fails here, without running controller-gen
// (make check-generated compares the whole output).
func TestCRDSchemaMatchesTypes(t *testing.T) {
	data, err := os.ReadFile(crdPath)
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Group    string `json:"group"`
			Scope    string `json:"scope"`
			Versions []struct {
				Name   string         `json:"name"`
				Schema map[string]any `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if crd.Spec.Group != GroupName || crd.Spec.Scope != "Namespaced" || len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != SchemeGroupVersion.Version {
		t.Fatalf("CRD group %q scope %q versions %+v", crd.Spec.Group, crd.Spec.Scope, crd.Spec.Versions)
	}
	root := crd.Spec.Versions[0].Schema["openAPIV3Schema"].(map[string]any)
	props := root["properties"].(map[string]any)
	for _, c := range []struct {
		path string
		typ  reflect.Type
	}{
		{"spec", reflect.TypeFor[RepositorySpec]()},
		{"spec.trust", reflect.TypeFor[Trust]()},
		{"spec.secrets", reflect.TypeFor[RepositorySecrets]()},
		{"spec.secrets.githubToken", reflect.TypeFor[SecretKeyRef]()},
		{"spec.params", reflect.TypeFor[Param]()},
		{"status", reflect.TypeFor[RepositoryStatus]()},
		{"status.lastRuns", reflect.TypeFor[LastRun]()},
	} {
		node := props
		for _, p := range strings.Split(c.path, ".") {
			n, ok := node[p].(map[string]any)
			if !ok {
				t.Fatalf("%s: no %q in the CRD schema", c.path, p)
			}
			if items, ok := n["items"].(map[string]any); ok {
				n = items
			}
			node, _ = n["properties"].(map[string]any)
		}
		var inCRD []string
		for k := range node {
			inCRD = append(inCRD, k)
		}
		sort.Strings(inCRD)
		if want := jsonFields(c.typ); !reflect.DeepEqual(inCRD, want) {
			t.Errorf("%s: CRD has %v, Go type has %v: run make generate", c.path, inCRD, want)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
