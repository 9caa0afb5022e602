namespace FastTotem.Protocol.Srp;

/// <summary>
/// Called synchronously by the engine when a valid ORF token arrives, before the engine multicasts from its
/// send queue (token_callbacks_execute with TOTEM_CALLBACK_TOKEN_RECEIVED in totemsrp.c). totempg flushes its
/// packed messages here, so they leave on this very token visit. The observer may call
/// <see cref="SrpEngine.TryMulticast(ReadOnlySpan{byte})"/>; it must not call anything else on the engine.
/// </summary>
public interface ISrpTokenObserver
{
    void OnTokenReceived();
}
