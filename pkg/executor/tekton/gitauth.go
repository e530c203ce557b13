package tekton

import (
	"context"
	"fmt"
	"net/url"

	"github.com/rigger-ci/rigger/pkg/executor"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ensureGitSecret creates the per-run git credentials Secret a definition names with
// {{ git_auth_secret }}: a basic-auth Secret with .git-credentials and .gitconfig, the shape
// Tekton's git tasks read from a "basic-auth" workspace. The token is short-lived.
func (e *Executor) ensureGitSecret(ctx context.Context, req *executor.Request) error {
	u, err := url.Parse(req.Run.RepoURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("git auth secret: repository URL %q is not a URL", req.Run.RepoURL)
	}
	origin := u.Scheme + "://" + u.Host
	cred := url.URL{Scheme: u.Scheme, Host: u.Host, User: url.UserPassword("git", req.GitToken)}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: req.GitAuthSecret, Namespace: req.Namespace,
			Labels:      map[string]string{LabelRepository: RepositoryLabel(req.Run.Repo)},
			Annotations: map[string]string{"tekton.dev/git-0": origin},
		},
		Type: corev1.SecretTypeBasicAuth,
		StringData: map[string]string{
			corev1.BasicAuthUsernameKey: "git",
			corev1.BasicAuthPasswordKey: req.GitToken,
			".git-credentials":          cred.String() + "\n",
			".gitconfig":                fmt.Sprintf("[credential]\n\thelper = store\n[credential %q]\n\tusername = git\n", origin),
			"git-provider-token":        req.GitToken,
		},
	}
	return e.retry(ctx, func(ctx context.Context) error {
		_, err := e.kube.CoreV1().Secrets(req.Namespace).Create(ctx, s, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
}

// ownSecret adds the PipelineRun to the owners of its git Secret (several runs of one event
// share it; a strategic merge appends by UID), so the Secret goes with the last of them. A
// failure only costs a leftover Secret, so it is logged, not returned.
func (e *Executor) ownSecret(ctx context.Context, pr *pipelinev1.PipelineRun, name string) {
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":"tekton.dev/v1","kind":"PipelineRun","name":%q,"uid":%q,"blockOwnerDeletion":false}]}}`,
		pr.Name, pr.UID)
	err := e.retry(ctx, func(ctx context.Context) error {
		_, err := e.kube.CoreV1().Secrets(pr.Namespace).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
		return err
	})
	if err != nil {
		e.log.Warn("could not make the PipelineRun own its git secret", zap.String("secret", name), zap.Error(err))
	}
}
