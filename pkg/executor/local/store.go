package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rigger-ci/rigger/pkg/run"
	bolt "go.etcd.io/bbolt"
)

var (
	runsBucket       = []byte("runs")
	identitiesBucket = []byte("identities")
)

// ReasonInterrupted is the reason of a run that was running when Rigger stopped.
const ReasonInterrupted = "interrupted"

// store keeps runs in a bbolt file and logs as files beside it. One process at a time
// owns a data directory: bbolt locks the file.
type store struct {
	dir string
	db  *bolt.DB
	// interrupted is how many runs a previous process left unfinished, now marked so.
	interrupted int
}

// openStore opens (or creates) the store in dir and marks runs left unfinished by a
// previous process as failed, so that no run stays pending forever.
func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("local executor data dir: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "rigger.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("data dir %s is in use by another Rigger process", dir)
		}
		return nil, fmt.Errorf("open run store: %w", err)
	}
	s := &store{dir: dir, db: db}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{runsBucket, identitiesBucket, waitingBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		var err error
		s.interrupted, err = markInterrupted(tx, time.Now())
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("recover run store: %w", err)
	}
	return s, nil
}

// markInterrupted fails every run, task and step that a previous process left unfinished,
// and says how many runs it failed.
func markInterrupted(tx *bolt.Tx, now time.Time) (int, error) {
	b := tx.Bucket(runsBucket)
	type update struct {
		key []byte
		val []byte
	}
	var updates []update
	err := b.ForEach(func(k, v []byte) error {
		var r run.Run
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("run %s: %w", k, err)
		}
		if r.State.Done() {
			return nil
		}
		if r.Waiting() && tx.Bucket(waitingBucket).Get(k) != nil {
			return nil // it never started: it waits on, and the queue starts it
		}
		r.State, r.Reason = run.Failed, ReasonInterrupted
		r.Message = "Rigger stopped while the run was in progress"
		r.CompletionTime = now
		for i := range r.Tasks {
			t := &r.Tasks[i]
			if !t.State.Done() {
				t.State, t.Reason, t.CompletionTime = run.Failed, ReasonInterrupted, now
			}
			for j := range t.Steps {
				if s := &t.Steps[j]; !s.State.Done() {
					s.State, s.CompletionTime = run.Failed, now
				}
			}
		}
		data, err := json.Marshal(&r)
		if err != nil {
			return err
		}
		updates = append(updates, update{append([]byte(nil), k...), data})
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, u := range updates {
		if err := b.Put(u.key, u.val); err != nil {
			return 0, err
		}
	}
	return len(updates), nil
}

func (s *store) close() error { return s.db.Close() }

// identityKey is the store key of a run identity.
func identityKey(id run.Identity) []byte {
	return []byte(fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%d", id.Repo, id.SHA, id.Definition, id.Trigger, id.Attempt))
}

// create stores a new run and its identity; it returns the existing run's name and false
// when the identity is already taken.
func (s *store) create(r *run.Run, wait *waitingRecord) (existing string, created bool, err error) {
	data, err := json.Marshal(r)
	if err != nil {
		return "", false, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ids := tx.Bucket(identitiesBucket)
		key := identityKey(r.Identity)
		if v := ids.Get(key); v != nil {
			existing = string(v)
			return nil
		}
		created = true
		if err := ids.Put(key, []byte(r.Name)); err != nil {
			return err
		}
		if wait != nil {
			if err := s.putWaiting(tx, r.Name, wait); err != nil {
				return err
			}
		}
		return tx.Bucket(runsBucket).Put([]byte(r.Name), data)
	})
	return existing, created, err
}

// putAll writes run snapshots in one transaction.
func (s *store) putAll(runs []*run.Run) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(runsBucket)
		for _, r := range runs {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(r.Name), data); err != nil {
				return err
			}
		}
		return nil
	})
}

// get returns the stored run with that name.
func (s *store) get(name string) (*run.Run, error) {
	var r *run.Run
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(runsBucket).Get([]byte(name))
		if v == nil {
			return nil
		}
		r = &run.Run{}
		return json.Unmarshal(v, r)
	})
	return r, err
}

// list returns every stored run.
func (s *store) list() ([]*run.Run, error) {
	var runs []*run.Run
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(runsBucket).ForEach(func(k, v []byte) error {
			r := &run.Run{}
			if err := json.Unmarshal(v, r); err != nil {
				return fmt.Errorf("run %s: %w", k, err)
			}
			runs = append(runs, r)
			return nil
		})
	})
	return runs, err
}

func (s *store) runDir(name string) string { return filepath.Join(s.dir, "runs", name) }

// volumeDir is where a persistentVolumeClaim's data lives. Validation has made the claim name
// a DNS subdomain, so it cannot climb out of volumes/.
func (s *store) volumeDir(claim string) string { return filepath.Join(s.dir, "volumes", claim) }

// logPath is where a step's output is kept.
func (s *store) logPath(runName, task, step string) string {
	return filepath.Join(s.runDir(runName), "logs", task, step+".log")
}
