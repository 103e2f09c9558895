import { SettingsForm } from '../../components/settings-form.tsx';

export default function SettingsPage() {
  return <SettingsForm />;
}
