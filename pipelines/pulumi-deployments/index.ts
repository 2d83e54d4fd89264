// `pulumi up` in this directory schedules the rotation; config keys: see settingsFromConfig.
import { declareRotationSchedule, settingsFromConfig } from "./rotationSchedule";

export const scheduleId = declareRotationSchedule(settingsFromConfig()).scheduleId;
