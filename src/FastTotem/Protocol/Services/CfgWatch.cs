using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Protocol.Services;

/// <summary>
/// The one message of corosync's cfg service (service 1, cfg.c) a FastTotem node acts on: the
/// <c>MESSAGE_REQ_EXEC_CFG_CRYPTO_RECONFIG</c> phase 1 (ACTIVATE) each daemon multicasts when a configuration reload
/// (<c>corosync-cfgtool -R</c>) changed crypto_cipher, crypto_hash, crypto_model or the authkey. After delivering it a
/// daemon seals with the new settings (docs/knet.md §10). FastTotem does not take part in that switch; the node
/// machine reports the message so the host can leave the ring. cfg is not a sync participant, and FastTotem answers
/// none of cfg's other messages; they are counted and ignored.
/// </summary>
internal sealed class CfgWatch : IExecHandler
{
    /// <summary>CFG_SERVICE in corosync's service table.</summary>
    public const int ServiceIdValue = 1;

    /// <summary>MESSAGE_REQ_EXEC_CFG_CRYPTO_RECONFIG.</summary>
    public const int CryptoReconfigFunction = 4;

    /// <summary>CRYPTO_RECONFIG_PHASE_ACTIVATE: the senders switch to the new crypto settings.</summary>
    public const uint PhaseActivate = 1;

    /// <summary>struct req_exec_cfg_crypto_reconfig: the 16-byte header, then phase (u32, aligned 8) at offset 16.</summary>
    private const int PhaseOffset = 16;

    private uint _pendingFrom;

    /// <summary>cfg messages of other kinds (reload, kill node, shutdown …), ignored.</summary>
    public long OtherMessages { get; private set; }

    /// <summary>CRYPTO_RECONFIG messages too short for their phase.</summary>
    public long MalformedDrops { get; private set; }

    /// <summary>Phase-1 CRYPTO_RECONFIG messages delivered.</summary>
    public long CryptoReconfigActivations { get; private set; }

    public void HandleExec(uint senderNodeId, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (QbIpcRequestHeader.TryReadId(message, foreignEndian, out int id) != WireError.None || (id & 0xffff) != CryptoReconfigFunction)
        {
            OtherMessages++;
            return;
        }

        if (message.Length < PhaseOffset + sizeof(uint))
        {
            MalformedDrops++;
            return;
        }

        uint phase = foreignEndian
            ? BinaryPrimitives.ReadUInt32BigEndian(message[PhaseOffset..])
            : BinaryPrimitives.ReadUInt32LittleEndian(message[PhaseOffset..]);
        if (phase == PhaseActivate)
        {
            CryptoReconfigActivations++;
            if (_pendingFrom == 0)
            {
                _pendingFrom = senderNodeId;
            }
        }
    }

    /// <summary>The node whose phase-1 message came first since the last call, or false when none came.</summary>
    public bool TakeCryptoReconfig(out uint senderNodeId)
    {
        senderNodeId = _pendingFrom;
        _pendingFrom = 0;
        return senderNodeId != 0;
    }
}
