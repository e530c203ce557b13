module github.com/rigger-ci/rigger/examples/sharded

go 1.26
