namespace FastTotem.Hosting;

/// <summary>Host work the loop thread runs once per iteration (draining a <see cref="HostSubmitQueue"/>, say). Must not block.</summary>
internal interface IHostWork
{
    void Run(NodeStack stack);
}
