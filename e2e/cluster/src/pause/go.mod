module github.com/rigger-ci/rigger/e2e/cluster/src/pause

go 1.26
