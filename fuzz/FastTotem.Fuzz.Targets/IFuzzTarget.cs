namespace FastTotem.Fuzz;

/// <summary>
/// One fuzz target: an in-process entry point that takes any bytes. <see cref="Run"/> returns normally for every
/// input the code under test handles as it should (bad input counted and dropped, or a documented error); it
/// throws <see cref="FuzzInvariantException"/> when an invariant breaks, and any other escaping exception is a bug
/// in the code under test. AFL++ sees either as a crash.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used by <c>./build.sh fuzz NAME</c> and the corpus folder <c>fuzz/corpus/NAME/</c>.</summary>
    string Name { get; }

    void Run(ReadOnlySpan<byte> input);
}
