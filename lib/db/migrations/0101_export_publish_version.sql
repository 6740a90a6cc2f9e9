-- The version (lib/storage versionOf) of the file a converter is about to publish for a
-- target, recorded with its row count and bytes just before the publish. A converter killed
-- between publishing and marking the target done leaves it pending with this version: the
-- retry finds the same version at the final key and marks the target done without
-- converting (and republishing) it again.
ALTER TABLE export_targets ADD COLUMN publish_version text;
