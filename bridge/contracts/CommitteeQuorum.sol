// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Stake-weighted quorum of the beacon committee (DESIGN.md, Quorums)
/// @notice The committee travels in calldata as one word per member: the member's secp256k1 address in the
/// high 20 bytes and its stake in the low 12 (`bytes20(address) || uint96(stake)`), in committee order
/// (ascending addresses). Its hash is keccak256 of those words, concatenated; the contract stores only that.
///
/// Signatures are packed, 66 bytes each: the signer's committee index (uint16, big-endian), then the
/// EIP-2098 compact signature (r, yParity-and-s). Indices must be strictly ascending, so nobody counts twice.
/// A quorum is more than two thirds of the stake: `3 * signed > 2 * total`.
library CommitteeQuorum {
    uint256 internal constant SIGNATURE_LENGTH = 66;
    uint256 internal constant STAKE_MASK = 0xffffffffffffffffffffffff;

    error CommitteeMismatch(bytes32 expected, bytes32 given);
    error MalformedSignatures(uint256 length);
    error SignersNotAscending(uint256 position, uint256 index);
    error SignerIndexOutOfRange(uint256 index, uint256 committeeSize);
    error SignatureNotFromMember(uint256 index);
    error InsufficientStake(uint256 signedStake, uint256 totalStake);

    /// @notice keccak256 of the member words and the sum of their stakes, read straight from calldata.
    function hashMembers(bytes32[] calldata members) internal pure returns (bytes32 h, uint256 totalStake) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let len := shl(5, members.length)
            calldatacopy(ptr, members.offset, len)
            h := keccak256(ptr, len)
            // n stakes of at most 96 bits each cannot overflow 256 bits for any n that fits in calldata.
            let end := add(ptr, len)
            for {
                let p := ptr
            } lt(p, end) {
                p := add(p, 32)
            } {
                totalStake := add(totalStake, and(mload(p), STAKE_MASK))
            }
        }
    }

    /// @notice Reverts unless `signatures` are valid signatures of `digest` by members holding more than two
    /// thirds of `totalStake`; returns the stake that signed.
    function verifyQuorum(
        bytes32 digest,
        bytes32[] calldata members,
        uint256 totalStake,
        bytes calldata signatures
    ) internal view returns (uint256 signedStake) {
        signedStake = _signedStake(digest, members, signatures);
        if (3 * signedStake <= 2 * totalStake) revert InsufficientStake(signedStake, totalStake);
    }

    /// @dev The hot loop, in assembly because it runs once per signer (OpenZeppelin's ECDSA.tryRecover in a
    /// Solidity loop costs about 550 gas a signature more). It applies the same rules as that function: the
    /// EIP-2098 split of vs into yParity and s, s in the lower half of the curve order (no malleable twin),
    /// and a failed recovery counting as no signer (the precompile then returns no data).
    function _signedStake(
        bytes32 digest,
        bytes32[] calldata members,
        bytes calldata signatures
    ) private view returns (uint256 signedStake) {
        if (signatures.length % SIGNATURE_LENGTH != 0) revert MalformedSignatures(signatures.length);
        // Failure codes: 1 not ascending, 2 index out of range, 3 not the member's signature.
        uint256 failure;
        uint256 failedAt;
        uint256 index;
        assembly ("memory-safe") {
            let freePtr := mload(0x40)
            let nextMin := 0
            let size := members.length
            let off := signatures.offset
            for {
                let end := add(off, signatures.length)
            } lt(off, end) {
                off := add(off, SIGNATURE_LENGTH)
            } {
                index := shr(240, calldataload(off))
                if lt(index, nextMin) {
                    failure := 1
                    break
                }
                if iszero(lt(index, size)) {
                    failure := 2
                    break
                }
                let vs := calldataload(add(off, 34))
                let sValue := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                if gt(sValue, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) {
                    failure := 3
                    break
                }
                // ecrecover(digest, v, r, s) on scratch memory: 0x00 digest, 0x20 v, 0x40 r, 0x60 s.
                mstore(0x00, digest)
                mstore(0x20, add(shr(255, vs), 27))
                mstore(0x40, calldataload(add(off, 2)))
                mstore(0x60, sValue)
                let member := calldataload(add(members.offset, shl(5, index)))
                // A valid signature returns 32 bytes (a non-zero address); an invalid one returns none.
                pop(staticcall(gas(), 0x01, 0x00, 0x80, 0x00, 0x20))
                if iszero(and(eq(returndatasize(), 0x20), eq(mload(0x00), shr(96, member)))) {
                    failure := 3
                    break
                }
                signedStake := add(signedStake, and(member, STAKE_MASK))
                nextMin := add(index, 1)
            }
            failedAt := div(sub(off, signatures.offset), SIGNATURE_LENGTH)
            // Restore the free memory pointer and the zero slot that the recovery used.
            mstore(0x40, freePtr)
            mstore(0x60, 0)
        }
        if (failure == 1) revert SignersNotAscending(failedAt, index);
        if (failure == 2) revert SignerIndexOutOfRange(index, members.length);
        if (failure == 3) revert SignatureNotFromMember(index);
    }
}
