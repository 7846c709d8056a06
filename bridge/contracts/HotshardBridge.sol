// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {Checkpoint, Withdrawal, RootRecord} from "./BridgeTypes.sol";
import {CommitteeQuorum} from "./CommitteeQuorum.sol";
import {MerkleRfc6962} from "./MerkleRfc6962.sol";

/// @title The hotshard bridge (DESIGN.md, Bridge to Ethereum)
/// @notice Locks ETH and ERC-20 deposits for the sidechain, accepts beacon checkpoints signed by more than two
/// thirds of the beacon committee's stake, and pays withdrawals proven against an accepted checkpoint's
/// withdrawals root after a delay, once, within a limit per asset per period.
contract HotshardBridge is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ---------------------------------------------------------------- constants and configuration

    bytes32 public constant CHECKPOINT_TYPEHASH =
        keccak256(
            "Checkpoint(uint64 chainId,uint64 sequence,uint64 epoch,uint64 beaconHeightFrom,uint64 beaconHeightTo,"
            "bytes32 previousCheckpoint,bytes32 beaconBlockHash,bytes32 withdrawalsRoot,uint64 withdrawalsCount,"
            "uint64 depositNonce,bytes32 depositHash,bytes32 nextCommitteeHash,bool unpause)"
        );

    /// @notice The asset id of ETH.
    address public constant ETH = address(0);

    /// @dev Pause reasons, a bit each in State.pauseFlags.
    uint8 public constant PAUSED_BY_GUARDIAN = 1;
    uint8 public constant PAUSED_BY_DEPOSIT_MISMATCH = 2;

    /// @dev The sidechain keeps amounts as u128: no deposit may take an asset's locked total beyond it.
    uint256 internal constant MAX_LOCKED = type(uint128).max;

    enum SubmitOutcome {
        Accepted,
        AlreadyAccepted,
        Frozen
    }

    struct Config {
        /// The sidechain's chain id, which every checkpoint must carry.
        uint64 sidechainChainId;
        /// The hash of the sidechain's genesis, recorded for everyone to check.
        bytes32 genesisHash;
        /// May pause deposits and withdrawals, and unpause them after `pauseTimelock`; address(0) for none.
        address guardian;
        /// Seconds between a checkpoint's acceptance and the withdrawals it makes payable.
        uint64 withdrawalDelay;
        /// Seconds a pause lasts at least before the guardian alone may lift it.
        uint64 pauseTimelock;
        /// Length in seconds of a withdrawal-limit period.
        uint64 limitPeriod;
        /// Limit per period for every asset not listed; zero means unlisted assets are not accepted.
        uint256 defaultLimit;
    }

    /// @dev Everything a deposit, checkpoint or withdrawal needs, in one slot.
    struct State {
        uint64 latestSequence;
        uint64 latestEpoch;
        uint64 depositCount;
        uint40 pausedAt;
        uint8 pauseFlags;
        bool frozen;
    }

    struct PeriodUsage {
        uint64 period;
        uint192 used;
    }

    uint64 public immutable sidechainChainId;
    bytes32 public immutable genesisHash;
    address public immutable guardian;
    uint64 public immutable withdrawalDelay;
    uint64 public immutable pauseTimelock;
    uint64 public immutable limitPeriod;
    uint256 public immutable defaultLimit;

    // ---------------------------------------------------------------- storage

    State private _state;
    bytes32 private _committeeHash;
    /// @dev The EIP-712 struct hash of every accepted checkpoint.
    mapping(uint256 sequence => bytes32) private _checkpointHashes;
    /// @dev Every accepted non-empty withdrawals root, with its first checkpoint. Keyed by root rather than by
    /// sequence so that a checkpoint costs two new storage slots, not three (see docs/bridge.md, Gas).
    mapping(bytes32 root => RootRecord) private _roots;
    /// @dev h[n] = sha256(h[n-1] || abi.encode(n, token, sender, recipient, amount)), h[0] = 0.
    mapping(uint256 nonce => bytes32) private _depositHashes;
    /// @dev Deposits minus withdrawals, per asset: what the contract owes the sidechain.
    mapping(address token => uint256) private _locked;
    mapping(address token => uint256) private _limits;
    mapping(address token => PeriodUsage) private _usage;
    /// @dev A bit per withdrawal id.
    mapping(uint256 word => uint256) private _paid;

    // ---------------------------------------------------------------- events

    event Deposited(
        uint64 indexed nonce,
        address indexed token,
        address indexed sender,
        bytes20 recipient,
        uint256 amount,
        bytes32 depositHash
    );
    event CheckpointAccepted(
        uint64 indexed sequence,
        bytes32 indexed checkpointHash,
        uint64 epoch,
        bytes32 withdrawalsRoot,
        uint64 withdrawalsCount,
        uint64 depositNonce
    );
    event CommitteeChanged(uint64 indexed sequence, bytes32 committeeHash);
    event DepositMismatch(uint64 indexed sequence, uint64 depositNonce, bytes32 expected, bytes32 given);
    event BridgeFrozen(uint64 indexed sequence, bytes32 acceptedHash, bytes32 conflictingHash);
    event Paused(uint8 reason, uint64 at);
    event Unpaused(bool byCheckpoint);
    event Withdrawn(
        uint64 indexed id,
        address indexed recipient,
        address indexed token,
        uint256 amount,
        bytes32 root
    );

    // ---------------------------------------------------------------- errors

    error BadConfig(string reason);
    error Frozen();
    error BridgePaused(uint8 flags);
    error NotGuardian();
    error AlreadyPaused();
    error NotPaused();
    error TimelockNotElapsed(uint256 readyAt);
    error WrongChainId(uint64 expected, uint64 given);
    error SequenceNotIncreasing(uint64 sequence, uint64 latest);
    error EpochRegressed(uint64 epoch, uint64 latest);
    error BadHeightRange(uint64 from, uint64 to);
    error ZeroRoot();
    error EmptyTreeRoot();
    error BadEmptyTreeRoot(bytes32 root);
    error ZeroAmount();
    error ZeroRecipient();
    error AssetNotSupported(address token);
    error AmountTooLarge(uint256 locked, uint256 amount);
    error UnknownRoot(bytes32 root);
    error WithdrawalDelayNotElapsed(uint256 readyAt);
    error AlreadyPaid(uint64 id);
    error InvalidProof();
    error AmountAboveLimit(uint256 amount, uint256 limit);
    error WithdrawalLimitReached(address token, uint256 period, uint256 used, uint256 limit);
    error InsufficientBacking(address token, uint256 locked, uint256 amount);
    error EthTransferFailed(address recipient);
    error TokenTransferMismatch(address token, uint256 expected, uint256 actual);

    // ---------------------------------------------------------------- construction

    /// @param config see {Config}
    /// @param members the genesis beacon committee as member words (see {CommitteeQuorum}), ascending addresses
    /// @param limitTokens assets with their own limit per period (address(0) for ETH)
    /// @param limitAmounts those limits, each non-zero
    constructor(
        Config memory config,
        bytes32[] memory members,
        address[] memory limitTokens,
        uint256[] memory limitAmounts
    ) EIP712("hotshard bridge", "1") {
        if (config.limitPeriod == 0) revert BadConfig("limitPeriod is zero");
        if (limitTokens.length != limitAmounts.length) revert BadConfig("limit tokens and amounts differ in length");
        if (members.length == 0) revert BadConfig("empty committee");
        uint256 total;
        uint160 previous;
        for (uint256 i = 0; i < members.length; ++i) {
            uint160 member = uint160(uint256(members[i]) >> 96);
            if (member <= previous) revert BadConfig("committee addresses not strictly ascending or zero");
            previous = member;
            total += uint256(members[i]) & CommitteeQuorum.STAKE_MASK;
        }
        if (total == 0) revert BadConfig("committee has no stake");
        for (uint256 i = 0; i < limitTokens.length; ++i) {
            if (limitAmounts[i] == 0) revert BadConfig("a listed limit is zero");
            _limits[limitTokens[i]] = limitAmounts[i];
        }
        sidechainChainId = config.sidechainChainId;
        genesisHash = config.genesisHash;
        guardian = config.guardian;
        withdrawalDelay = config.withdrawalDelay;
        pauseTimelock = config.pauseTimelock;
        limitPeriod = config.limitPeriod;
        defaultLimit = config.defaultLimit;
        bytes32 h = keccak256(abi.encodePacked(members));
        _committeeHash = h;
        emit CommitteeChanged(0, h);
    }

    // ---------------------------------------------------------------- checkpoints

    /// @notice Submits a checkpoint signed by the current beacon committee.
    /// @param cp the checkpoint
    /// @param members the current committee's member words (their keccak256 must be the stored hash)
    /// @param signatures packed (uint16 index, r, vs) entries, indices strictly ascending
    /// @return outcome Accepted; AlreadyAccepted (the same checkpoint again: nothing changes); or Frozen
    /// (a different checkpoint, validly signed, for an accepted sequence number: the bridge stops)
    function submitCheckpoint(
        Checkpoint calldata cp,
        bytes32[] calldata members,
        bytes calldata signatures
    ) external returns (SubmitOutcome outcome) {
        State memory s = _state;
        if (s.frozen) revert Frozen();
        bytes32 cpHash = hashCheckpoint(cp);

        if (cp.sequence <= s.latestSequence) {
            bytes32 known = _checkpointHashes[cp.sequence];
            // Relaying is idempotent: the same checkpoint again succeeds and changes nothing.
            if (known == cpHash) return SubmitOutcome.AlreadyAccepted;
            if (known == bytes32(0)) revert SequenceNotIncreasing(cp.sequence, s.latestSequence);
            // Two different checkpoints with one sequence number, both signed by the committee: misbehaviour.
            _verifySignatures(cpHash, members, signatures);
            _state.frozen = true;
            emit BridgeFrozen(cp.sequence, known, cpHash);
            return SubmitOutcome.Frozen;
        }

        if (cp.chainId != sidechainChainId) revert WrongChainId(sidechainChainId, cp.chainId);
        if (cp.epoch < s.latestEpoch) revert EpochRegressed(cp.epoch, s.latestEpoch);
        if (cp.beaconHeightFrom > cp.beaconHeightTo) revert BadHeightRange(cp.beaconHeightFrom, cp.beaconHeightTo);
        // Never trust a zero or default root: an empty tree must say so with the empty root and a zero count.
        if (cp.withdrawalsRoot == bytes32(0)) revert ZeroRoot();
        if (cp.withdrawalsCount == 0) {
            if (cp.withdrawalsRoot != MerkleRfc6962.EMPTY_ROOT) revert BadEmptyTreeRoot(cp.withdrawalsRoot);
        } else if (cp.withdrawalsRoot == MerkleRfc6962.EMPTY_ROOT) {
            revert EmptyTreeRoot();
        }

        _verifySignatures(cpHash, members, signatures);

        // The deposits the sidechain says it applied must be exactly those locked here.
        bool mismatch = cp.depositNonce > s.depositCount || _depositHashes[cp.depositNonce] != cp.depositHash;
        if (mismatch) {
            bytes32 expected = cp.depositNonce > s.depositCount ? bytes32(0) : _depositHashes[cp.depositNonce];
            emit DepositMismatch(cp.sequence, cp.depositNonce, expected, cp.depositHash);
            if (s.pauseFlags & PAUSED_BY_DEPOSIT_MISMATCH == 0) {
                // The timelock of a mismatch runs from the mismatch itself.
                s.pausedAt = uint40(block.timestamp);
                s.pauseFlags |= PAUSED_BY_DEPOSIT_MISMATCH;
                emit Paused(PAUSED_BY_DEPOSIT_MISMATCH, uint64(block.timestamp));
            }
        } else if (cp.unpause && s.pauseFlags == PAUSED_BY_GUARDIAN) {
            // The committee may lift a guardian pause, never a deposit mismatch (only the timelock does).
            s.pauseFlags = 0;
            emit Unpaused(true);
        }

        if (cp.nextCommitteeHash != bytes32(0) && cp.nextCommitteeHash != _committeeHash) {
            _committeeHash = cp.nextCommitteeHash;
            emit CommitteeChanged(cp.sequence, cp.nextCommitteeHash);
        }

        _checkpointHashes[cp.sequence] = cpHash;
        // A root seen before keeps its first acceptance: its withdrawals have been payable since then.
        if (cp.withdrawalsCount != 0 && _roots[cp.withdrawalsRoot].sequence == 0) {
            _roots[cp.withdrawalsRoot] = RootRecord({
                sequence: cp.sequence,
                acceptedAt: uint64(block.timestamp),
                withdrawalsCount: cp.withdrawalsCount
            });
        }
        s.latestSequence = cp.sequence;
        s.latestEpoch = cp.epoch;
        _state = s;
        emit CheckpointAccepted(
            cp.sequence,
            cpHash,
            cp.epoch,
            cp.withdrawalsRoot,
            cp.withdrawalsCount,
            cp.depositNonce
        );
        return SubmitOutcome.Accepted;
    }

    function _verifySignatures(bytes32 cpHash, bytes32[] calldata members, bytes calldata signatures) private view {
        (bytes32 h, uint256 totalStake) = CommitteeQuorum.hashMembers(members);
        bytes32 expected = _committeeHash;
        if (h != expected) revert CommitteeQuorum.CommitteeMismatch(expected, h);
        CommitteeQuorum.verifyQuorum(_hashTypedDataV4(cpHash), members, totalStake, signatures);
    }

    /// @notice The EIP-712 struct hash of a checkpoint: the hash that the contract keeps and that the next
    /// checkpoint names as `previousCheckpoint`.
    function hashCheckpoint(Checkpoint calldata cp) public pure returns (bytes32) {
        return keccak256(abi.encode(CHECKPOINT_TYPEHASH, cp));
    }

    /// @notice The EIP-712 digest that the committee signs for `cp` (this contract, this chain).
    function checkpointDigest(Checkpoint calldata cp) external view returns (bytes32) {
        return _hashTypedDataV4(hashCheckpoint(cp));
    }

    // ---------------------------------------------------------------- deposits

    /// @notice Locks `msg.value` wei for `recipient` on the sidechain.
    function depositEth(bytes20 recipient) external payable nonReentrant returns (uint64 nonce) {
        _checkDepositAllowed(ETH, recipient);
        return _recordDeposit(ETH, recipient, msg.value);
    }

    /// @notice Locks `amount` of `token` for `recipient` on the sidechain. The deposit records what the
    /// contract actually received, so a fee-on-transfer token credits less than `amount`.
    function depositErc20(IERC20 token, uint256 amount, bytes20 recipient) external nonReentrant returns (uint64 nonce) {
        if (address(token) == ETH) revert AssetNotSupported(ETH);
        if (amount == 0) revert ZeroAmount();
        // Refuse early, before the token runs any code of its own.
        _checkDepositAllowed(address(token), recipient);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        return _recordDeposit(address(token), recipient, received);
    }

    function _checkDepositAllowed(address token, bytes20 recipient) private view {
        _requireOpen();
        if (recipient == bytes20(0)) revert ZeroRecipient();
        if (limitOf(token) == 0) revert AssetNotSupported(token);
    }

    function _recordDeposit(address token, bytes20 recipient, uint256 amount) private returns (uint64 nonce) {
        if (amount == 0) revert ZeroAmount();
        uint256 locked = _locked[token];
        if (amount > MAX_LOCKED - locked) revert AmountTooLarge(locked, amount);
        _locked[token] = locked + amount;

        State memory s = _state;
        nonce = s.depositCount + 1;
        bytes32 h = sha256(abi.encodePacked(_depositHashes[nonce - 1], abi.encode(nonce, token, msg.sender, recipient, amount)));
        _depositHashes[nonce] = h;
        s.depositCount = nonce;
        _state = s;
        emit Deposited(nonce, token, msg.sender, recipient, amount, h);
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice Pays withdrawal `w`, proven at leaf `index` of the accepted withdrawals tree with `root`,
    /// to `w.recipient`. Anyone may call it. Payable once, `withdrawalDelay` after that checkpoint, within the
    /// asset's limit for the current period (a withdrawal over it waits for a later period).
    function withdraw(
        bytes32 root,
        Withdrawal calldata w,
        uint256 index,
        bytes32[] calldata proof
    ) external nonReentrant {
        _requireOpen();
        _requireProven(root, w, index, proof);
        _markPaid(w.id);
        _consumeLimit(w.token, w.amount);
        uint256 locked = _locked[w.token];
        if (w.amount > locked) revert InsufficientBacking(w.token, locked, w.amount);
        // Effects before the transfer (checks-effects-interactions, and the reentrancy guard on top).
        unchecked {
            _locked[w.token] = locked - w.amount;
        }
        emit Withdrawn(w.id, w.recipient, w.token, w.amount, root);
        _transferOut(w.recipient, w.token, w.amount);
    }

    function _requireOpen() private view {
        State memory s = _state;
        if (s.frozen) revert Frozen();
        if (s.pauseFlags != 0) revert BridgePaused(s.pauseFlags);
    }

    /// @dev Reverts unless `w` is leaf `index` of an accepted checkpoint's tree whose delay has passed.
    function _requireProven(
        bytes32 root,
        Withdrawal calldata w,
        uint256 index,
        bytes32[] calldata proof
    ) private view {
        // Never a zero or default root, whatever the storage says.
        if (root == bytes32(0)) revert ZeroRoot();
        if (root == MerkleRfc6962.EMPTY_ROOT) revert EmptyTreeRoot();
        RootRecord memory record = _roots[root];
        if (record.sequence == 0) revert UnknownRoot(root);
        uint256 readyAt = uint256(record.acceptedAt) + withdrawalDelay;
        if (block.timestamp < readyAt) revert WithdrawalDelayNotElapsed(readyAt);
        bytes32 leafHash = MerkleRfc6962.hashLeaf(abi.encode(w.id, w.recipient, w.token, w.amount));
        if (!MerkleRfc6962.verify(root, leafHash, index, record.withdrawalsCount, proof)) revert InvalidProof();
    }

    function _markPaid(uint64 id) private {
        uint256 word = id >> 8;
        uint256 bit = 1 << (id & 0xff);
        uint256 paidWord = _paid[word];
        if (paidWord & bit != 0) revert AlreadyPaid(id);
        _paid[word] = paidWord | bit;
    }

    function _transferOut(address recipient, address token, uint256 amount) private {
        if (amount == 0) return;
        if (token == ETH) {
            (bool ok, ) = recipient.call{value: amount}("");
            if (!ok) revert EthTransferFailed(recipient);
        } else {
            uint256 before = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransfer(recipient, amount);
            uint256 sent = before - IERC20(token).balanceOf(address(this));
            // A token that takes more (or less) from the bridge than asked would break the accounting.
            if (sent != amount) revert TokenTransferMismatch(token, amount, sent);
        }
    }

    function _consumeLimit(address token, uint256 amount) private {
        uint256 limit = limitOf(token);
        if (amount > limit) revert AmountAboveLimit(amount, limit);
        uint64 period = uint64(block.timestamp / limitPeriod);
        PeriodUsage memory u = _usage[token];
        uint256 used = u.period == period ? u.used : 0;
        if (used + amount > limit) revert WithdrawalLimitReached(token, period, used, limit);
        _usage[token] = PeriodUsage({period: period, used: uint192(used + amount)});
    }

    // ---------------------------------------------------------------- guardian

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert NotGuardian();
        _;
    }

    /// @notice Pauses deposits and withdrawals (never checkpoints: committee changes keep flowing).
    function pause() external onlyGuardian {
        State memory s = _state;
        if (s.frozen) revert Frozen();
        if (s.pauseFlags & PAUSED_BY_GUARDIAN != 0) revert AlreadyPaused();
        if (s.pauseFlags == 0) s.pausedAt = uint40(block.timestamp);
        s.pauseFlags |= PAUSED_BY_GUARDIAN;
        _state = s;
        emit Paused(PAUSED_BY_GUARDIAN, uint64(block.timestamp));
    }

    /// @notice Lifts any pause, a deposit mismatch included, once `pauseTimelock` has passed since it began.
    function unpause() external onlyGuardian {
        State memory s = _state;
        if (s.frozen) revert Frozen();
        if (s.pauseFlags == 0) revert NotPaused();
        uint256 readyAt = uint256(s.pausedAt) + pauseTimelock;
        if (block.timestamp < readyAt) revert TimelockNotElapsed(readyAt);
        s.pauseFlags = 0;
        _state = s;
        emit Unpaused(false);
    }

    // ---------------------------------------------------------------- views

    function committeeHash() external view returns (bytes32) {
        return _committeeHash;
    }

    function state() external view returns (State memory) {
        return _state;
    }

    /// @notice The hash of the accepted checkpoint with `sequence`, zero if none.
    function checkpointHashOf(uint64 sequence) external view returns (bytes32) {
        return _checkpointHashes[sequence];
    }

    /// @notice When `root` was first accepted, by which checkpoint, for how many leaves (zeros if never).
    function rootRecord(bytes32 root) external view returns (RootRecord memory) {
        return _roots[root];
    }

    function depositHash(uint64 nonce) external view returns (bytes32) {
        return _depositHashes[nonce];
    }

    /// @notice Deposits minus withdrawals of `token`: what the contract owes the sidechain.
    function lockedBalance(address token) external view returns (uint256) {
        return _locked[token];
    }

    function isPaid(uint64 id) external view returns (bool) {
        return _paid[id >> 8] & (1 << (id & 0xff)) != 0;
    }

    /// @notice The withdrawal limit per period of `token` (zero: the asset is not accepted).
    function limitOf(address token) public view returns (uint256) {
        uint256 limit = _limits[token];
        return limit == 0 ? defaultLimit : limit;
    }

    /// @notice What has been withdrawn of `token` in the current period.
    function withdrawnThisPeriod(address token) external view returns (uint256) {
        PeriodUsage memory u = _usage[token];
        return u.period == block.timestamp / limitPeriod ? u.used : 0;
    }
}
