package github

import (
	"context"
	"errors"
	"net/http"
	"sync"

	gh "github.com/google/go-github/v62/github"
)

// conditional remembers the ETag and the decoded answer of GETs whose answers rarely change
// (a pull request's comments, the OWNERS file), so asking again costs a 304, which GitHub
// does not count against the rate limit, instead of a full answer.
type conditional struct {
	mu      sync.Mutex
	entries map[string]etagged
}

type etagged struct {
	etag  string
	value any
}

// maxConditional bounds the answers remembered; past it they are all forgotten, which costs
// one full answer each.
const maxConditional = 10000

// get GETs url (relative to the API) into out, with If-None-Match when an earlier answer is
// remembered; on 304 out is that answer. It returns the response, whose status the caller
// may read (404).
func get[T any](ctx context.Context, c *conditional, client *gh.Client, url string, out *T) (*gh.Response, error) {
	req, err := client.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	prev, known := c.entries[url]
	c.mu.Unlock()
	if known {
		req.Header.Set("If-None-Match", prev.etag)
	}
	var fresh T
	resp, err := client.Do(ctx, req, &fresh)
	if known && resp != nil && resp.StatusCode == http.StatusNotModified {
		*out = prev.value.(T)
		return resp, nil
	}
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && resp != nil && resp.StatusCode == http.StatusNotModified {
			err = errors.New("github: 304 for a request that was not conditional")
		}
		return resp, err
	}
	*out = fresh
	if etag := resp.Header.Get("ETag"); etag != "" {
		c.mu.Lock()
		if c.entries == nil || len(c.entries) >= maxConditional {
			c.entries = map[string]etagged{}
		}
		c.entries[url] = etagged{etag: etag, value: fresh}
		c.mu.Unlock()
	}
	return resp, nil
}
