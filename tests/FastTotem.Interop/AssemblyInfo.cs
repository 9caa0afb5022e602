// Namespace tests share the host's network stack and corosync tools: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
