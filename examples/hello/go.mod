module github.com/rigger-ci/rigger/examples/hello

go 1.26
