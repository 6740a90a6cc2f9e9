import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_MODEL_SOURCES, loadApiModel } from '../../local/api/api-model.ts';
import { modelPattern } from '../../local/api/validate-request.ts';
import { extractFromBotocore, findBotocore, modelFile } from '../../scripts/extract-api-models.ts';

const services = Object.keys(API_MODEL_SOURCES) as Array<keyof typeof API_MODEL_SOURCES>;
const botocore = findBotocore();
const hasModels =
  botocore !== undefined &&
  services.every((service) => existsSync(path.join(botocore, 'data', API_MODEL_SOURCES[service].modelPath)));

describe('committed AWS service model subsets (local/api/models)', () => {
  // Needs botocore (the machine image's python3 has 1.43); CI images without it skip this check only.
  it.runIf(hasModels).each(services)(
    '%s matches botocore’s service-2.json (rerun scripts/extract-api-models.ts if not)',
    (service) => {
      const committed = JSON.parse(readFileSync(modelFile(service), 'utf8')) as unknown;
      expect(committed).toEqual(extractFromBotocore(botocore ?? '', service));
    },
  );

  it.each(services)('%s has every implemented operation and only shapes they reach', (service) => {
    const model = loadApiModel(service);
    expect(Object.keys(model.operations)).toEqual([...API_MODEL_SOURCES[service].operations]);
    for (const operation of Object.values(model.operations)) {
      for (const shape of [operation.input, operation.output, ...operation.errors]) {
        if (shape !== undefined) expect(model.shapes[shape], shape).toBeDefined();
      }
    }
  });

  it.each(services)('%s: every pattern compiles as a JavaScript regular expression', (service) => {
    for (const shape of Object.values(loadApiModel(service).shapes)) {
      if (shape.pattern !== undefined) expect(() => modelPattern(shape.pattern ?? '')).not.toThrow();
    }
  });
});
